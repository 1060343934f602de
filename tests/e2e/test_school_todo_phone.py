"""On a phone (390 px wide) the school's 报告 page opens on what to do now
(issue 8 item 5): the current deadline, or a returned report, is the first
card and fully in view — not the 17th card at the bottom of the list."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reporting.models import ReportStatus
from schools.models import Role
from tests.e2e.test_report_cycle import sign_in
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory
from tests.schools.factories import SchoolFactory, school_member

pytestmark = pytest.mark.e2e


@pytest.fixture
def season(transactional_db):
    """Sixteen past deadlines, all reported; the current one due in three days."""
    school = SchoolFactory(name="示例区实验小学")
    campaign = CampaignFactory(bureau=school.bureau)
    school_member(school, Role.SAFETY_OFFICER, username="s01-safety")
    today = timezone.localdate()
    past = []
    for n in range(16, 0, -1):
        deadline = DeadlineFactory(campaign=campaign, due_date=today - dt.timedelta(days=5 * n))
        moment = timezone.now() - dt.timedelta(days=5 * n + 1)
        past.append(ProgressReportFactory(school=school, deadline=deadline,
                                          status=ReportStatus.APPROVED,
                                          first_submitted_at=moment))
    current = DeadlineFactory(campaign=campaign, due_date=today + dt.timedelta(days=3))
    return {"school": school, "campaign": campaign, "past": past, "current": current}


def first_card(page):
    card = page.get_by_test_id("deadline-row").first
    expect(card).to_be_visible()
    box = card.bounding_box()
    viewport = page.viewport_size
    assert viewport["width"] == 390
    # In view without scrolling.
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= viewport["height"]
    return card


def test_on_a_phone_the_current_deadline_is_the_first_card(page, live_server, season):
    sign_in(page, live_server.url, "s01-safety")
    page.goto(f"{live_server.url}/reporting/schools/{season['school'].pk}/")
    expect(page.get_by_test_id("deadline-row")).to_have_count(17)
    card = first_card(page)
    due = season["current"].due_date
    expect(card).to_have_attribute("data-group", "current")
    expect(card).to_contain_text(f"{due.year}年{due.month}月{due.day}日")
    expect(card.get_by_role("link", name="填写报告")).to_be_visible()


def test_on_a_phone_a_returned_report_comes_first_with_its_reason(page, live_server, season):
    ProgressReportFactory(
        school=season["school"],
        deadline=DeadlineFactory(campaign=season["campaign"],
                                 due_date=timezone.localdate() - dt.timedelta(days=2)),
        status=ReportStatus.RETURNED, first_submitted_at=timezone.now() - dt.timedelta(days=3),
        return_reason="请补充活动照片\n并写明参加人数")
    sign_in(page, live_server.url, "s01-safety")
    page.goto(f"{live_server.url}/reporting/schools/{season['school'].pk}/")
    card = first_card(page)
    expect(card).to_have_attribute("data-group", "returned")
    reason = card.get_by_test_id("return-reason")
    expect(reason).to_contain_text("请补充活动照片")
    # The line break is kept: two lines, the second below the first.
    assert reason.locator(".pre-line").evaluate("e => getComputedStyle(e).whiteSpace") == \
        "pre-line"
    assert reason.locator(".pre-line").inner_text().splitlines() == [
        "请补充活动照片", "并写明参加人数"]
    expect(card.get_by_role("link", name="修改并重新提交")).to_be_visible()
    # The current deadline follows the to-do item, still near the top.
    second = page.get_by_test_id("deadline-row").nth(1)
    expect(second).to_have_attribute("data-group", "current")
