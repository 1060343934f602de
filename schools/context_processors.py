"""Template context for every page."""

from django.conf import settings

from core.nav import nav_for

from . import access
from .forms import lockout_rule


def portal(request):
    """What the base layout needs on every page: the portal name and the top
    bar's entries this user may follow (each app's ``navigation`` module asks
    the access layer; the template decides nothing)."""
    user = getattr(request, "user", None)
    signed_in = bool(getattr(user, "is_authenticated", False))
    # Before the second factor is shown, the bar names nothing of the account's
    # pages (a walk-through saw 督导看板, 审核, 管理后台 on the code page).
    show_bar = signed_in and (not access.second_factor_required(user)
                              or access.second_factor_satisfied(request))
    return {
        "portal_name": settings.PORTAL_NAME,
        "nav_links": nav_for(user, request.path) if show_bar else [],
        # The sign-in pages state the deployment's own lockout rule.
        "lockout": lockout_rule(),
    }
