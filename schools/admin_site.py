from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import access
from .access_rules import SchoolsPerm
from .models import User


def person_label(user: User) -> str:
    """"王校长 (a-principal)": a person as the admin's pickers show them. Two
    teachers may share a name; the username tells them apart (issue 8 item 9)."""
    return f"{user} ({user.username})"


class PortalAutocompleteJsonView(AutocompleteJsonView):
    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if isinstance(obj, User):
            result["text"] = person_label(obj)
        return result


class PortalAdminAuthenticationForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        # Admin entry is a role (bureau admin, inspector), not the is_staff flag.
        if not user.is_active or not access.has_perm(user, SchoolsPerm.USE_ADMIN):
            raise ValidationError(
                _("This account may not use the administration site."), code="invalid_login"
            )


class PortalAdminSite(admin.AdminSite):
    site_header = _("Campus Minor Safety Portal — administration")
    site_title = _("Safety portal administration")
    index_title = _("Bureau administration")
    login_form = PortalAdminAuthenticationForm

    def has_permission(self, request):
        # As OTPAdminSite: a verified second factor too (security.md G6); the
        # SecondFactorMiddleware sends an unverified user to the code first.
        return (access.has_perm(request.user, SchoolsPerm.USE_ADMIN)
                and access.second_factor_satisfied(request))

    def autocomplete_view(self, request):
        # People in the pickers (a role's holder, a task force member) show
        # their username as well as their name.
        return PortalAutocompleteJsonView.as_view(admin_site=self)(request)
