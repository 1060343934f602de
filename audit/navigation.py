"""The audit log, for the auditor alone."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.nav import NavItem
from schools import access

from .access_rules import AuditPerm


def _audit(user) -> str | None:
    return reverse("audit:event_list") if access.has_perm(user, AuditPerm.VIEW_AUDIT_LOG) \
        else None


NAV = [NavItem(80, _("Audit log"), _audit, testid="nav-audit")]
