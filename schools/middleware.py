"""Session lifetime and caching rules that apply to every signed-in request."""

import time

from django.conf import settings
from django.contrib.auth import logout, user_logged_out
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers

SESSION_STARTED_KEY = "sp_started_at"
# A marker without any personal data, kept a little longer than a session can live: a
# request that carries it but no session is from someone whose session timed out, and the
# sign-in page tells them why (issue 8 item 1: a session that ends is never silent).
SIGNED_IN_COOKIE = "sp_signed_in"


@receiver(user_logged_out, dispatch_uid="schools.middleware.signed_out")
def _mark_signed_out(sender, request, **kwargs):
    if request is not None:
        request.sp_signed_out = True


class SessionLifetimeMiddleware:
    """Ends a session SESSION_ABSOLUTE_SECONDS after sign-in, however active, and says
    why a session ended.

    The idle timeout is the sliding session cookie (SESSION_COOKIE_AGE with
    SESSION_SAVE_EVERY_REQUEST); this adds the absolute cap (G7). Either way the next
    redirect to the sign-in page carries ``?expired=1`` so that the page explains the
    sign-out instead of silently asking for a password (issue 8 item 1); signing out on
    purpose clears the marker, so it is never shown then.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            now = time.time()
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                response = redirect(reverse("login") + "?expired=1")
                response.delete_cookie(SIGNED_IN_COOKIE)
                return response
        response = self.get_response(request)
        self._keep_marker(request, response)
        return response

    @staticmethod
    def _keep_marker(request, response) -> None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if request.COOKIES.get(SIGNED_IN_COOKIE) != "1":
                response.set_cookie(
                    SIGNED_IN_COOKIE, "1",
                    max_age=settings.SESSION_ABSOLUTE_SECONDS + settings.SESSION_COOKIE_AGE,
                    secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
                )
            return
        if request.COOKIES.get(SIGNED_IN_COOKIE) != "1":
            return
        if getattr(request, "sp_signed_out", False):
            response.delete_cookie(SIGNED_IN_COOKIE)
            return
        login_url = reverse("login")
        if isinstance(response, HttpResponseRedirect) and response.url.startswith(login_url):
            if "expired=1" not in response.url:
                glue = "&" if "?" in response.url else "?"
                response["Location"] = f"{response.url}{glue}expired=1"
            response.delete_cookie(SIGNED_IN_COOKIE)


class NoStoreForAuthenticatedMiddleware:
    """Pages shown to a signed-in user are never kept by browsers or proxies:
    a shared school computer's back button must not show the last user's data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            add_never_cache_headers(response)
        return response


class UserLanguageMiddleware:
    """A signed-in user sees the portal in the language kept on their account
    (the one their e-mails use), on every device; before sign-in the language
    cookie and the browser decide (LocaleMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
