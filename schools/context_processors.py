"""Template context for every page."""

from django.conf import settings

from . import access
from .access_rules import SchoolsPerm


def portal(request):
    """What the base layout needs on every page: the portal name and the menu
    entries this user may open (computed by the access layer, not the template).
    Other apps' permissions are named by code (schools imports no app above it)."""
    user = getattr(request, "user", None)
    report_schools = access.schools_for(user, access.perm("reporting.view_report"))
    return {
        "portal_name": settings.PORTAL_NAME,
        "nav": {
            # The first school whose reports this person may open (most have one).
            "reports": report_schools[0] if report_schools else None,
            "district": access.has_perm(user, SchoolsPerm.VIEW_DISTRICT),
            "audit": access.has_perm(user, access.perm("audit.view_audit_log")),
            "admin": access.has_perm(user, SchoolsPerm.USE_ADMIN),
            "schools": bool(access.schools_for(user, SchoolsPerm.VIEW_SCHOOL)
                            or access.has_perm(user, SchoolsPerm.VIEW_DISTRICT)),
        },
    }
