"""No page before the second factor for those who must show it at sign-in
(security.md G6; issue 9 item 6). Installed after django-otp's OTPMiddleware."""

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from . import access

# Pages a signed-in person who still owes a code may open: the two second-factor
# pages, signing out, the language switch, static files and the health probe.
ALLOWED_URL_NAMES = ("second_factor_verify", "second_factor_enrol", "logout", "set_language",
                     "healthz")


class SecondFactorMiddleware:
    """A signed-in user for whom `schools.access.second_factor_required` holds
    and who has not verified a device in this session is sent to the verify
    page (or, with no device yet, to the enrol page), with ``next`` = the page
    asked for, from every page but ALLOWED_URL_NAMES and static files."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed = None

    def _allowed_paths(self) -> frozenset[str]:
        if self._allowed is None:
            self._allowed = frozenset(reverse(name) for name in ALLOWED_URL_NAMES)
        return self._allowed

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated
                and request.path not in self._allowed_paths()
                and not request.path.startswith("/" + settings.STATIC_URL.lstrip("/"))
                and access.second_factor_required(user)
                and not access.second_factor_satisfied(request)):
            enrol = not access.has_second_factor_device(user)
            return redirect(access.second_factor_url(request, enrol=enrol))
        return self.get_response(request)
