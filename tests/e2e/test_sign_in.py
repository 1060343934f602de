"""A safety officer signs in in Chinese, reaches the school workbench, signs out."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from schools.models import Role
from tests.e2e.test_report_cycle import sign_out
from tests.reporting.factories import CampaignFactory, DeadlineFactory
from tests.schools.factories import PASSWORD, SchoolFactory, school_member


@pytest.fixture
def safety_officer(transactional_db):
    school = SchoolFactory(name="示例区实验小学")
    DeadlineFactory(campaign=CampaignFactory(bureau=school.bureau),
                    due_date=timezone.localdate() + dt.timedelta(days=3))
    return school_member(school, Role.SAFETY_OFFICER, username="s01-safety", full_name="李安全")


def test_a_safety_officer_signs_in_reaches_the_workbench_and_signs_out(
    page, live_server, safety_officer
):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="登录")).to_be_visible()

    page.get_by_label("用户名").fill("s01-safety")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    expect(page.get_by_test_id("next-deadline")).to_contain_text("还剩 3 天")
    expect(page.get_by_test_id("school-card")).to_contain_text("示例区实验小学")
    expect(page.get_by_test_id("school-card")).to_contain_text("安全专干")

    # On a phone the menu is collapsed behind the toggler.
    sign_out(page)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_a_wrong_password_is_explained_in_chinese_and_the_username_kept(
    page, live_server, safety_officer
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("s01-safety")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("用户名或密码错误")).to_be_visible()
    expect(page.get_by_label("用户名")).to_have_value("s01-safety")


def test_the_language_switch_turns_the_page_english(page, live_server, safety_officer):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="切换").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
