from django.conf import settings

from . import access


def portal(request):
    """What the base layout needs on every page: the portal name and the menu
    entries this user may open (computed by the access layer, not the template)."""
    user = getattr(request, "user", None)
    return {
        "portal_name": settings.PORTAL_NAME,
        "nav": {
            "district": access.has_perm(user, access.Perm.VIEW_DISTRICT),
            "audit": access.has_perm(user, access.Perm.VIEW_AUDIT_LOG),
            "admin": access.has_perm(user, access.Perm.USE_ADMIN),
            "schools": bool(user is not None and user.is_authenticated
                            and (access.grants(user).school_roles
                                 or access.has_perm(user, access.Perm.VIEW_DISTRICT))),
        },
    }
