"""Mandatory reporting in a real browser (issue 10 item 9): a teacher logs a
concern on a phone with no code to type; the school's lead is told, opens
it after her second factor, starts the referral and records the report to
the police; the chronology shows both and so does the printed registration
form; the bureau's child-protection officer reads it, and an inspector finds
no way to it."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from incidents.models import Referral
from schools.models import Role
from tests.conftest import fresh_totp_code, totp_device
from tests.e2e.test_report_cycle import sign_in
from tests.schools.factories import (
    MembershipFactory,
    SchoolClassFactory,
    SchoolFactory,
    bureau_member,
    school_member,
)
from tests.schools.pupil_factories import PupilFactory

pytestmark = pytest.mark.e2e

CHILD = "测试儿童甲"
SEEN = "课间发现左臂有多处淤青，询问时躲闪"


@pytest.fixture
def people(transactional_db):
    from schools.school_year import current_school_year

    school = SchoolFactory(name="示例区实验小学")
    klass = SchoolClassFactory(school=school, school_year=current_school_year(), grade=3,
                               number=2)
    PupilFactory(school=school, current_class=klass, name=CHILD)
    lead = school_member(school, Role.SAFETY_OFFICER, username="s01-safety")
    MembershipFactory(user=lead, role=Role.REPORTING_LEAD, school=school)
    totp_device(lead)
    officer = bureau_member(school.bureau, Role.PROTECTION_OFFICER, username="protection")
    inspector = bureau_member(school.bureau, Role.INSPECTOR, username="inspector")
    return {"school": school, "lead": lead, "officer": officer, "inspector": inspector,
            "teacher": school_member(school, Role.STAFF, username="s01-staff")}


def fresh_page(browser):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 390, "height": 844})
    return context.new_page()


def test_a_concern_from_a_phone_reaches_the_lead_and_the_bureau_officer(
        page, browser, live_server, people):
    base = live_server.url
    # The teacher, on a phone: no code asked, the roster never shown.
    sign_in(page, base, "s01-staff")
    page.get_by_role("button", name="菜单").click()
    page.get_by_test_id("nav-incidents").click()
    page.get_by_test_id("log-concern").click()
    expect(page.get_by_role("heading", name="登记疑似情况")).to_be_visible()
    expect(page.get_by_test_id("danger-first")).to_contain_text("110")
    page.get_by_label("班级").select_option(label="3年级2班")
    page.get_by_label("儿童姓名").fill(CHILD)
    page.get_by_label("您看到或听到了什么").fill(SEEN)
    page.get_by_label("儿童的原话").fill("爸爸喝了酒就打我")
    page.get_by_label("地点").fill("三年级2班教室")
    page.screenshot(path="/tmp/e2e-concern-form.png", full_page=True)
    page.get_by_role("button", name="提交给负责人").click()
    expect(page.get_by_role("heading", name="我登记的情况")).to_be_visible()
    expect(page.locator(".alert")).to_contain_text("学校负责人已收到通知")
    expect(page.get_by_test_id("my-concerns")).to_contain_text("已转交学校负责人")
    expect(page.get_by_test_id("my-concerns")).not_to_contain_text(CHILD)

    # The lead: a notice with a link and no child; the list after her code.
    lead = fresh_page(browser)
    sign_in(lead, base, "s01-safety")
    lead.goto(base + reverse("notifications:list"))
    expect(lead.locator("main")).to_contain_text("有一条记录需要您处理")
    expect(lead.locator("main")).not_to_contain_text(CHILD)
    lead.goto(base + reverse("incidents:school_concerns", args=[people["school"].pk]))
    expect(lead.get_by_role("heading", name="输入验证码")).to_be_visible()
    lead.get_by_label("验证码").fill(fresh_totp_code(totp_device(people["lead"])))
    lead.get_by_role("button", name="验证").click()
    expect(lead.get_by_test_id("school-concerns")).to_contain_text(CHILD)
    lead.get_by_test_id("school-concerns").get_by_role("link").first.click()
    expect(lead.get_by_test_id("concern")).to_contain_text(SEEN)
    lead.get_by_label("身体存在多处损伤", exact=False).check()
    lead.get_by_role("button", name="启动强制报告").click()
    expect(lead.get_by_role("heading", name="强制报告")).to_be_visible()
    form = lead.get_by_test_id("report-form")
    form.get_by_label("部门").select_option(label="公安机关")
    form.get_by_label("报告时间").fill(_now_local())
    form.get_by_label("接收单位").fill("城关派出所")
    form.get_by_label("报告方式").select_option(label="拨打110")
    form.get_by_role("button").click()
    expect(lead.locator(".alert")).to_contain_text("报告已登记")
    chronology = lead.get_by_test_id("chronology")
    expect(chronology).to_contain_text("启动强制报告")
    expect(chronology).to_contain_text("城关派出所")
    lead.screenshot(path="/tmp/e2e-referral.png", full_page=True)
    # The registration form for the handover to the police.
    lead.get_by_test_id("print-link").click()
    expect(lead.get_by_test_id("referral-form")).to_contain_text(CHILD)
    expect(lead.get_by_test_id("print-chronology")).to_contain_text("城关派出所")
    lead.screenshot(path="/tmp/e2e-print.png", full_page=True)

    # The bureau's child-protection officer reads it; an inspector cannot.
    referral = Referral.objects.get()
    url = base + reverse("incidents:referral_detail", args=[referral.code])
    officer = fresh_page(browser)
    sign_in(officer, base, "protection")
    officer.goto(url)
    expect(officer.get_by_test_id("concern")).to_contain_text(CHILD)
    inspector = fresh_page(browser)
    sign_in(inspector, base, "inspector")
    expect(inspector.get_by_test_id("nav-incidents")).to_have_count(0)
    assert inspector.goto(url).status == 403
    expect(inspector.locator("body")).not_to_contain_text(CHILD)


def _now_local() -> str:
    from django.utils import timezone

    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")
