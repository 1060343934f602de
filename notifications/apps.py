from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Every app's notice_kinds module registers its kinds (core.discovery);
        # importing them here makes a broken registration fail at start-up.
        from .kinds import autodiscover

        autodiscover()
