from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import access
from .access_rules import SchoolsPerm


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
        return access.has_perm(request.user, SchoolsPerm.USE_ADMIN)
