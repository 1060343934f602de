"""Signing in: clear messages, lockout by username (never by the school's shared
address), sessions that expire, password change that signs out other devices."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from tests.schools.factories import PASSWORD

pytestmark = pytest.mark.django_db
SCHOOL_NAT = "203.0.113.7"


def attempt(client, username, password, ip=SCHOOL_NAT, **extra):
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=ip, **extra)


class TestSignIn:
    def test_it_shows_the_chinese_sign_in_page_by_default(self, client):
        response = client.get(reverse("login"))
        assert response.status_code == 200
        assert response["Content-Language"] == "zh-hans"
        assert "登录" in response.content.decode()

    def test_it_signs_in_and_lands_on_the_workbench(self, client, world):
        response = attempt(client, "a-safety", PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == reverse("home")

    def test_a_wrong_password_gets_a_clear_message_and_keeps_the_username(self, client, world):
        response = attempt(client, "a-safety", "wrong-password")
        assert response.status_code == 200
        body = response.content.decode()
        assert "用户名或密码错误" in body
        assert 'value="a-safety"' in body
        assert "Traceback" not in body

    def test_a_wrong_password_in_english_gets_the_english_message(self, client, world):
        response = attempt(client, "a-safety", "wrong", HTTP_ACCEPT_LANGUAGE="en")
        assert "The username or password is wrong" in response.content.decode()

    def test_the_session_key_changes_at_sign_in(self, client, world):
        client.get(reverse("login"))
        client.session.save()
        before = client.session.session_key
        attempt(client, "a-safety", PASSWORD)
        assert client.session.session_key != before


class TestLockout:
    def test_five_failures_lock_the_account_with_a_clear_message(self, client, world):
        for _ in range(5):
            attempt(client, "a-safety", "wrong")
        response = attempt(client, "a-safety", PASSWORD)
        assert response.status_code == 429
        body = response.content.decode()
        assert "账户已锁定" in body
        assert "连续 5 次登录失败已被锁定。请 15 分钟后再试" in body

    def test_the_messages_state_the_deployment_s_own_rule(self, client, world, settings):
        import datetime as dt

        settings.AXES_FAILURE_LIMIT = 3
        settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
        first = attempt(client, "a-safety", "wrong").content.decode()
        assert "连续失败 3 次后账号将被锁定 30 分钟" in first
        for _ in range(2):
            attempt(client, "a-safety", "wrong")
        locked = attempt(client, "a-safety", PASSWORD)
        assert locked.status_code == 429
        assert "连续 3 次登录失败已被锁定。请 30 分钟后再试" in locked.content.decode()

    def test_four_failures_do_not_lock(self, client, world):
        for _ in range(4):
            attempt(client, "a-safety", "wrong")
        assert attempt(client, "a-safety", PASSWORD).status_code == 302

    def test_a_locked_teacher_does_not_lock_out_colleagues_behind_the_same_nat(
        self, client, world
    ):
        for _ in range(6):
            attempt(client, "a-safety", "wrong")
        assert attempt(client, "a-principal", PASSWORD).status_code == 302

    def test_guesses_from_many_addresses_still_lock_the_account(self, client, world):
        for n in range(5):
            attempt(client, "a-safety", "wrong", ip=f"198.51.100.{n + 1}")
        assert attempt(client, "a-safety", PASSWORD, ip="198.51.100.99").status_code == 429

    def test_the_lock_expires_after_the_cool_off(self, client, world):
        with time_machine.travel(dt.datetime(2026, 5, 13, 9, 0, tzinfo=dt.UTC), tick=False):
            for _ in range(5):
                attempt(client, "a-safety", "wrong")
            assert attempt(client, "a-safety", PASSWORD).status_code == 429
        with time_machine.travel(dt.datetime(2026, 5, 13, 9, 16, tzinfo=dt.UTC), tick=False):
            assert attempt(client, "a-safety", PASSWORD).status_code == 302

    def test_a_deactivated_account_cannot_sign_in(self, client, world):
        world.safety_officer.is_active = False
        world.safety_officer.save()
        response = attempt(client, "a-safety", PASSWORD)
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session


class TestSessions:
    def test_the_session_cookie_slides_with_a_thirty_minute_idle_timeout(self, client, world):
        attempt(client, "a-safety", PASSWORD)
        response = client.get(reverse("home"))
        assert response.cookies["sp_session"]["max-age"] == 30 * 60
        assert response.cookies["sp_session"]["httponly"]

    def test_a_session_ends_eight_hours_after_sign_in_however_active(self, client, world):
        start = dt.datetime(2026, 5, 13, 0, 0, tzinfo=dt.UTC)
        with time_machine.travel(start, tick=False) as traveller:
            attempt(client, "a-safety", PASSWORD)
            for _ in range(17):  # active every 29 minutes until 7h44m
                assert client.get(reverse("home")).status_code == 200
                traveller.shift(dt.timedelta(minutes=29))
            # 8h13m after sign-in, 29 minutes after the last request.
            response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"] == reverse("login") + "?expired=1"
        # The marker is spent with it: a later signed-out visit is not called a timeout.
        assert response.cookies["sp_signed_in"].value == ""
        assert response.cookies["sp_signed_in"]["max-age"] == 0

    def test_an_idle_timeout_sends_the_user_to_sign_in_with_the_reason(self, client, world):
        start = dt.datetime(2026, 5, 13, 0, 0, tzinfo=dt.UTC)
        page = reverse("reporting:review_queue")
        with time_machine.travel(start, tick=False) as traveller:
            attempt(client, "a-safety", PASSWORD)
            assert client.get(reverse("home")).status_code == 200
            traveller.shift(dt.timedelta(minutes=31))
            response = client.get(page)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login") + "?next=")
            assert response["Location"].endswith("&expired=1")
            body = client.get(response["Location"]).content.decode()
        assert "data-session-ended" in body
        assert "30 分钟" in body
        assert "8 小时" in body
        # The marker is spent: the next redirect is an ordinary one.
        assert "expired" not in client.get(page)["Location"]

    def test_signing_out_on_purpose_is_not_called_a_timeout(self, client, world):
        attempt(client, "a-safety", PASSWORD)
        client.get(reverse("home"))
        response = client.post(reverse("logout"))
        assert response.status_code == 302
        assert "expired" not in response["Location"]
        response = client.get(reverse("reporting:review_queue"))
        assert response.status_code == 302
        assert "expired" not in response["Location"]

    def test_someone_who_never_signed_in_is_not_told_of_a_timeout(self, client, world):
        response = client.get(reverse("reporting:review_queue"))
        assert "expired" not in response["Location"]
        assert "data-session-ended" not in client.get(response["Location"]).content.decode()

    def test_the_marker_cookie_holds_no_personal_data(self, client, world):
        attempt(client, "a-safety", PASSWORD)
        client.get(reverse("home"))
        cookie = client.cookies["sp_signed_in"]
        assert cookie.value == "1"
        assert cookie["httponly"]

    def test_the_old_cookie_fails_after_logout(self, client, world):
        attempt(client, "a-safety", PASSWORD)
        cookie = client.cookies["sp_session"].value
        client.post(reverse("logout"))
        client.cookies["sp_session"] = cookie
        assert client.get(reverse("home")).status_code == 302

    def test_changing_the_password_signs_out_other_devices_but_not_this_one(
        self, client, world
    ):
        from django.test import Client

        other_device = Client()
        attempt(other_device, "a-safety", PASSWORD)
        attempt(client, "a-safety", PASSWORD)
        response = client.post(reverse("password_change"), {
            "old_password": PASSWORD,
            "new_password1": "a-New-passw0rd-2026",
            "new_password2": "a-New-passw0rd-2026",
        })
        assert response.status_code == 302
        assert client.get(reverse("home")).status_code == 200
        assert other_device.get(reverse("home")).status_code == 302

    def test_a_password_change_with_errors_says_why_in_chinese(self, client, world):
        attempt(client, "a-safety", PASSWORD)
        response = client.post(reverse("password_change"), {
            "old_password": "not-it", "new_password1": "123", "new_password2": "456",
        })
        assert response.status_code == 200
        assert "旧密码不正确" in response.content.decode()
