from django.conf import settings

from . import access


def portal(request):
    """What the base layout needs on every page: the portal name and the menu
    entries this user may open (computed by the access layer, not the template)."""
    user = getattr(request, "user", None)
    report_schools = sorted(
        school_id for school_id, roles in access.grants(user).school_roles.items()
        if roles & access.SCHOOL_RULES[access.Perm.VIEW_REPORT]
    ) if user is not None else []
    return {
        "portal_name": settings.PORTAL_NAME,
        "nav": {
            # The first school whose reports this person may open (most have one).
            "reports": report_schools[0] if report_schools else None,
            "district": access.has_perm(user, access.Perm.VIEW_DISTRICT),
            "audit": access.has_perm(user, access.Perm.VIEW_AUDIT_LOG),
            "admin": access.has_perm(user, access.Perm.USE_ADMIN),
            "schools": bool(user is not None and user.is_authenticated
                            and (access.grants(user).school_roles
                                 or access.has_perm(user, access.Perm.VIEW_DISTRICT))),
        },
    }
