from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalAdminConfig(AdminConfig):
    default_site = "schools.admin_site.PortalAdminSite"


class SafetyPortalConfig(AppConfig):
    """The project package as an app: project-wide commands (seed_demo,
    setup_periodic_tasks) and views. It wires apps together and holds no rules."""

    name = "safety_portal"
    verbose_name = "safety_portal"
