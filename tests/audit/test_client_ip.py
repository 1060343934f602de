"""The client's address on audit rows (and in axes) is read through django-ipware
with PROXY_COUNT trusted proxies: the client's, not the proxy's."""

import pytest
from axes.helpers import get_client_ip_address
from django.conf import settings as django_settings
from django.urls import reverse

from audit.models import AuditEvent
from schools.access import client_ip

pytestmark = pytest.mark.django_db

CHAIN = {"HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.0.0.1", "REMOTE_ADDR": "10.0.0.2"}


def behind(settings, proxies: int) -> None:
    """What safety_portal.settings.base derives from PROXY_COUNT."""
    settings.PROXY_COUNT = settings.AXES_IPWARE_PROXY_COUNT = proxies
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = (
        ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if proxies else ("REMOTE_ADDR",))


def denied_row_ip(world, client) -> str:
    client.force_login(world.principal, backend="schools.backends.PortalBackend")
    client.get(reverse("schools:detail", args=[world.school_c.pk]), **CHAIN)
    return AuditEvent.objects.get(outcome="denied").ip


def test_behind_one_proxy_the_row_holds_the_clients_address(world, client, settings):
    behind(settings, 1)
    assert denied_row_ip(world, client) == "203.0.113.7"


def test_with_no_proxy_the_row_holds_remote_addr(world, client, settings):
    behind(settings, 0)
    assert denied_row_ip(world, client) == "10.0.0.2"


@pytest.mark.parametrize(("proxies", "meta", "want", "axes_sees"), [
    (1, CHAIN, "203.0.113.7", "203.0.113.7"),
    (0, CHAIN, "10.0.0.2", "10.0.0.2"),
    # A client that forges its own X-Forwarded-For entry gains nothing.
    (0, {"HTTP_X_FORWARDED_FOR": "198.51.100.9", "REMOTE_ADDR": "10.0.0.2"}, "10.0.0.2",
     "10.0.0.2"),
    (1, {"HTTP_X_FORWARDED_FOR": "198.51.100.9, 203.0.113.7, 10.0.0.1",
         "REMOTE_ADDR": "10.0.0.2"}, "203.0.113.7", "203.0.113.7"),
    # A proxy that did not add the header: the audit row names the peer; axes
    # records no address (it locks by username, so nothing else changes).
    (1, {"REMOTE_ADDR": "10.0.0.2"}, "10.0.0.2", None),
])
def test_axes_and_the_audit_trail_agree(rf, settings, proxies, meta, want, axes_sees):
    behind(settings, proxies)
    request = rf.get("/", **meta)
    assert client_ip(request) == want
    assert get_client_ip_address(request) == axes_sees


def test_the_one_setting_reaches_axes():
    import axes.helpers

    assert axes.helpers.IPWARE_INSTALLED  # otherwise axes ignores AXES_IPWARE_*
    assert django_settings.AXES_IPWARE_PROXY_COUNT == django_settings.PROXY_COUNT
