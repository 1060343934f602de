"""Template context for every page."""

from django.conf import settings

from core.nav import nav_for

from .forms import lockout_rule


def portal(request):
    """What the base layout needs on every page: the portal name and the top
    bar's entries this user may follow (each app's ``navigation`` module asks
    the access layer; the template decides nothing)."""
    user = getattr(request, "user", None)
    signed_in = bool(getattr(user, "is_authenticated", False))
    return {
        "portal_name": settings.PORTAL_NAME,
        "nav_links": nav_for(user, request.path) if signed_in else [],
        # The sign-in pages state the deployment's own lockout rule.
        "lockout": lockout_rule(),
    }
