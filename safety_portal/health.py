"""The container's health probe, answered before Django validates the Host header
(issue 8 item 8).

The compose health check runs inside the web container and asks
http://127.0.0.1:8000/healthz, so its Host is 127.0.0.1, which no real
ALLOWED_HOSTS lists: every probe failed with DisallowedHost (an ERROR traceback
every 15 s) and the service never became healthy. Listing 127.0.0.1 in
ALLOWED_HOSTS would weaken the host check for every page.

Instead this middleware, first in the chain, answers exactly the probe: a GET
of /healthz from a loopback address (the container itself), without reading the
Host header. Anything else, including /healthz from any other address or with
another method, goes through the normal chain and its host validation. The
answer says nothing about the data: "ok", or 503 when the database is down.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

PROBE_PATH = "/healthz"
LOOPBACK = frozenset({"127.0.0.1", "::1"})


def is_probe(request: HttpRequest) -> bool:
    """A GET (or HEAD) of exactly PROBE_PATH, no query, from a loopback address."""
    return (request.method in ("GET", "HEAD")
            and request.path_info == PROBE_PATH
            and not request.META.get("QUERY_STRING")
            and request.META.get("REMOTE_ADDR") in LOOPBACK)


def health_response() -> HttpResponse:
    """"ok" (200, text/plain) when the database answers SELECT 1; else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "unhealthy"
        return JsonResponse({"status": "error"}, status=503)
    return HttpResponse("ok", content_type="text/plain")


class HealthProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_probe(request):
            return health_response()
        return self.get_response(request)
