from django.apps import AppConfig


class PluginAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tests.plugin_app"
    label = "plugin_app"
