from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from safety_portal import views as portal_views
from schools import second_factor_views
from schools.forms import LoginForm
from schools.views import LoginView, PasswordChangeView

account_patterns = [
    path(
        "login/",
        LoginView.as_view(authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Second factor (security.md G6): at sign-in for bureau accounts, step-up
    # for school staff before a child-level page.
    path("second-factor/", second_factor_views.verify, name="second_factor_verify"),
    path("second-factor/enrol/", second_factor_views.enrol, name="second_factor_enrol"),
    path("second-factor/recovery-codes/", second_factor_views.recovery_codes,
         name="second_factor_recovery_codes"),
]

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("healthz", portal_views.healthz, name="healthz"),
    path("accounts/", include(account_patterns)),
    path("i18n/setlang/", portal_views.set_language, name="set_language"),
    path("schools/", include("schools.urls")),
    path("reporting/", include("reporting.urls")),
    path("incidents/", include("incidents.urls")),
    path("attendance/", include("attendance.urls")),
    path("psych/", include("psych_screening.urls")),
    path("campus/", include("campus.urls")),
    path("notifications/", include("notifications.urls")),
    path("audit/", include("audit.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler400 = "safety_portal.errors.bad_request"
handler403 = "safety_portal.errors.permission_denied"
handler404 = "safety_portal.errors.page_not_found"
handler500 = "safety_portal.errors.server_error"
