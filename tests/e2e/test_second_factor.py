"""An inspector's first sign-in in a real browser (issue 9 item 6): password,
then the enrolment page (QR code and key), a first code from the key as an
authenticator app computes it, the recovery codes shown once, the dashboard;
then a second sign-in asks only for the code."""

import re
from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from schools.models import Role
from tests.conftest import fresh_totp_code, totp_device
from tests.e2e.test_report_cycle import sign_out
from tests.schools.factories import PASSWORD, SchoolFactory, bureau_member


@pytest.fixture
def inspector(transactional_db):
    school = SchoolFactory(name="示例区实验小学")
    return bureau_member(school.bureau, Role.INSPECTOR, username="inspector")


def code_from_key(groups: str) -> str:
    """What an authenticator app shows for a key typed by hand."""
    return f"{totp(b32decode(groups.replace(' ', ''))):06d}"


def password_step(page, base):
    page.goto(f"{base}/reporting/dashboard/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("用户名").fill("inspector")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_an_inspector_enrols_verifies_and_reaches_the_dashboard(page, live_server, inspector):
    base = live_server.url
    password_step(page, base)

    # No device yet: the enrolment page, with the QR code and the key.
    expect(page.get_by_role("heading", name="设置两步验证")).to_be_visible()
    expect(page.get_by_role("img", name="供身份验证器应用扫描的二维码")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4})+", secret)

    # Going elsewhere first is not possible.
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="设置两步验证")).to_be_visible()
    page.goto(f"{base}/reporting/dashboard/")
    expect(page.get_by_test_id("totp-secret")).to_have_text(secret)  # the same key

    page.get_by_label("验证码").fill("000000")
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_text("验证码不正确")).to_be_visible()
    page.wait_for_timeout(1100)  # django-otp refuses any code for 1 s after a wrong one

    page.get_by_label("验证码").fill(code_from_key(secret))
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_role("heading", name="您的恢复码")).to_be_visible()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_role("link", name="继续").click()
    expect(page.get_by_role("heading", name="督导看板")).to_be_visible()

    # Signing out and in again asks for the code only.
    sign_out(page)  # and wait for it: a page opened at once would cancel the sign-out
    password_step(page, base)
    expect(page.get_by_role("heading", name="输入验证码")).to_be_visible()
    page.get_by_label("验证码").fill(fresh_totp_code(totp_device(inspector)))
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_role("heading", name="督导看板")).to_be_visible()
