"""Every HTML response carries the security headers (G8)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_has_csp_without_inline_script_and_denies_framing(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


# The whole policy, directive by directive: no source is added to a directive
# and no directive is dropped without this list changing (G8).
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy_of(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} appears twice"
        directives[name] = sources
    return directives


def test_every_page_carries_the_whole_policy_and_nothing_more(client, world, login):
    assert policy_of(client.get(reverse("login"))) == POLICY
    assert policy_of(client.get("/schools/999999/")) == POLICY  # an error page too
    assert policy_of(login(world.principal).get(reverse("home"))) == POLICY


def test_pages_carry_no_inline_script(client, world, login):
    for url in (reverse("login"), reverse("home")):
        if url == reverse("home"):
            login(world.principal)
        body = client.get(url).content.decode()
        assert "<script>" not in body
        assert "onclick=" not in body


def test_signed_in_pages_are_never_cached(world, login):
    response = login(world.principal).get(reverse("home"))
    assert "no-store" in response["Cache-Control"]


def test_an_error_page_shows_no_stack_trace(world, login):
    response = login(world.principal).get("/schools/999999/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Traceback" not in body
    assert "页面不存在" in body


def test_a_form_sent_without_a_valid_token_gets_the_portal_s_own_page(world):
    from django.test import Client
    from django.urls import reverse

    from tests.conftest import LOGIN_BACKEND

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.safety_officer, backend=LOGIN_BACKEND)
    response = client.post(reverse("reporting:report_edit", args=[world.school_a.pk, 1]),
                           {"organisation": "已填写的内容"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "表单已过期" in body
    assert "CSRF" not in body
    assert "DEBUG" not in body
