"""Error pages in the user's language with no data and no stack trace.

Django's default handlers already do this with templates named 400/403/404/500;
these exist so the 500 page gets the request context (language, base layout)
while staying safe if the failure was in the database."""

from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


@requires_csrf_token
def server_error(request):
    # No context processors that touch the database: it may be what failed.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_failure(request, reason=""):
    """A form that came back without a valid token (left open across a sign-out,
    or sent from another site): the portal's own page in the user's language,
    telling them to go back and send it again, instead of Django's bare page.
    The reason (a developer's string) is never shown."""
    return render(request, "403_csrf.html", status=403)


class MethodNotAllowedPageMiddleware:
    """A 405 with no body (Django's require_POST and friends) becomes the
    portal's own page for a person's browser: someone who reloads the address
    a form was sent to, or switches language there, reads what happened and
    where to go, instead of the browser's bare "HTTP ERROR 405". The status
    and the Allow header stay as they were; API-style requests (not asking
    for HTML) keep the empty body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code == 405 and not response.content
                and request.method in ("GET", "HEAD")
                and "text/html" in request.headers.get("Accept", "")):
            page = render(request, "405.html", status=405)
            if response.has_header("Allow"):
                page["Allow"] = response["Allow"]
            return page
        return response
