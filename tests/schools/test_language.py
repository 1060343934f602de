"""Each account keeps its language: the portal and its e-mails speak it."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from schools.services import user_set_language
from tests.schools.factories import UserFactory

pytestmark = pytest.mark.django_db


def switch(client, language, next_url="/"):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def test_a_new_account_speaks_chinese():
    assert UserFactory().language == "zh-hans"


def test_switching_while_signed_in_keeps_the_choice_on_the_account(world, login):
    client = login(world.principal)
    response = switch(client, "en", "/schools/")
    assert response.status_code == 302
    assert response["Location"] == "/schools/"
    world.principal.refresh_from_db()
    assert world.principal.language == "en"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_the_accounts_language_wins_over_the_browser_and_the_cookie(world, login, client):
    world.principal.language = "en"
    world.principal.save()
    login(world.principal)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response["Content-Language"] == "en"
    assert "Change password" in response.content.decode()


def test_on_another_device_the_account_speaks_its_language(world, client):
    world.principal.language = "en"
    world.principal.save()
    client.force_login(world.principal, backend="schools.backends.PortalBackend")
    assert "Change password" in client.get(reverse("home")).content.decode()


def test_before_sign_in_the_switch_only_sets_the_cookie(client):
    response = switch(client, "en", "/accounts/login/")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(reverse("login"))
    assert page["Content-Language"] == "en"


def test_an_unknown_language_changes_nothing(world, login):
    client = login(world.principal)
    response = switch(client, "tlh")
    assert response.status_code == 302
    world.principal.refresh_from_db()
    assert world.principal.language == "zh-hans"
    assert "修改密码" in client.get(reverse("home")).content.decode()


def test_a_next_address_off_the_site_is_not_followed(world, login):
    response = switch(login(world.principal), "en", "https://evil.example.com/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_service_refuses_a_language_the_portal_does_not_have(world):
    with pytest.raises(ValidationError):
        user_set_language(user=world.principal, language="fr")
    assert user_set_language(user=world.principal, language="en") is True
    assert user_set_language(user=world.principal, language="en") is False
