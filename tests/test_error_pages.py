"""The portal's own pages for bare errors: a reloaded form address (405)
reads as the portal, in the user's language, with the status and the Allow
header Django set; a client that does not ask for HTML keeps the bare 405."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_reloading_a_form_address_shows_the_portals_page(world, login):
    client = login(world.principal)
    url = reverse("incidents:dispute_add", args=[world.school_a.pk, 2026, 11])
    response = client.get(url, HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    body = response.content.decode()
    assert "工作台" in body  # the base layout and the way back, in Chinese
    assert "不能直接打开" in body


def test_a_client_not_asking_for_html_keeps_the_bare_405(world, login):
    client = login(world.principal)
    url = reverse("incidents:dispute_add", args=[world.school_a.pk, 2026, 11])
    response = client.get(url, HTTP_ACCEPT="application/json")
    assert response.status_code == 405
    assert response.content == b""
