"""A head teacher at a desk (issue 9 items 5 and 8), in a real browser: 我的班级
shows only her class's pupils; opening one asks for her second factor (a code
computed from her device's key), then shows the page; the address of another
class's pupil is the not-found page, without the child's name."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from schools.models import Role
from tests.conftest import fresh_totp_code, totp_device
from tests.e2e.test_report_cycle import sign_in
from tests.schools.factories import SchoolClassFactory, SchoolFactory, school_member
from tests.schools.pupil_list_factories import PupilFactory

pytestmark = pytest.mark.e2e

DESK = {"width": 1280, "height": 900}


@pytest.fixture
def page(browser):
    """A desk-sized page (the suite's default is a phone)."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=DESK)
    yield context.new_page()
    context.close()


@pytest.fixture
def classes(transactional_db):
    """3年级1班, led by s01-head (enrolled in two-step verification earlier), with
    two pupils; 3年级2班, led by nobody here, with one."""
    from schools.school_year import current_school_year

    school = SchoolFactory(name="示例区实验小学")
    year = current_school_year()
    mine = SchoolClassFactory(school=school, school_year=year, grade=3, number=1)
    other = SchoolClassFactory(school=school, school_year=year, grade=3, number=2)
    head = school_member(school, Role.HEAD_TEACHER, username="s01-head")
    head.memberships.get().classes.add(mine)
    totp_device(head)
    return {
        "head": head,
        "zhang": PupilFactory(school=school, current_class=mine, name="张测三"),
        "li": PupilFactory(school=school, current_class=mine, name="李测四", gender="F"),
        "other": PupilFactory(school=school, current_class=other, name="别班测五"),
    }


def test_a_head_teacher_sees_her_class_and_only_her_class(page, live_server, classes):
    base = live_server.url
    sign_in(page, base, "s01-head")
    page.get_by_test_id("nav-my-classes").click()
    expect(page.get_by_role("heading", name="我的班级")).to_be_visible()
    expect(page.get_by_test_id("my-class")).to_have_count(1)
    expect(page.get_by_test_id("my-class").get_by_role("heading")).to_contain_text("3年级1班")
    expect(page.get_by_test_id("pupil-link")).to_have_count(2)
    assert sorted(page.get_by_test_id("pupil-link").all_inner_texts()) == ["张测三", "李测四"]
    expect(page.locator("main, body").first).not_to_contain_text("别班测五")

    # A pupil's page asks for the second factor first, then opens.
    page.get_by_role("link", name="张测三").click()
    expect(page.get_by_role("heading", name="输入验证码")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("张测三")
    page.get_by_label("验证码").fill(fresh_totp_code(totp_device(classes["head"])))
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_test_id("pupil-name")).to_have_text("张测三")

    # Another class's pupil, by address: not found, and no name on the page.
    other = classes["other"]
    response = page.goto(base + reverse("schools:pupil_detail", kwargs={"code": other.code}))
    assert response.status == 404
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("别班测五")
    assert "别班测五" not in page.content()
