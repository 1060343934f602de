"""The portal's URLs plus the hazards app's step-up pages, for tests marked
``@pytest.mark.urls("tests.plugin_app.urls")`` (the portal's own URLconf, which
the authorization matrix walks, does not include them)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("plugin/sensitive/", views.sensitive_page, name="plugin_sensitive"),
    path("plugin/very-sensitive/", views.very_sensitive_page, name="plugin_very_sensitive"),
    path("", include("safety_portal.urls")),
]
