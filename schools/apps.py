from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "schools"
    verbose_name = _("Schools and people")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the school period stamp
