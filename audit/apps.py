from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        # Connects the receivers (access layer, workflows, schools' signals).
        from . import receivers  # noqa: F401
        from .actions import choices

        choices()  # load every app's audit_actions now: a bad one fails at start-up
