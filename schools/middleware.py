"""Session lifetime and caching rules that apply to every signed-in request."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers

SESSION_STARTED_KEY = "sp_started_at"


class SessionLifetimeMiddleware:
    """Ends a session SESSION_ABSOLUTE_SECONDS after sign-in, however active.

    The idle timeout is the sliding session cookie (SESSION_COOKIE_AGE with
    SESSION_SAVE_EVERY_REQUEST); this adds the absolute cap (G7).
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
                return redirect(reverse("login") + "?expired=1")
        return self.get_response(request)


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
