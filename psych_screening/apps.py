from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PsychScreeningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "psych_screening"
    verbose_name = _("Psychological screening")
