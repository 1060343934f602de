"""A bullying case page holds a form per step (issue 10 item 3): a lead who
types a note, then records another step that the server sends back, or
that succeeds, still finds the note typed — nothing typed in one form is
lost to sending another — and once the note is added, nothing comes back."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents import bullying
from incidents.bullying import Involved
from schools.models import Role
from tests.conftest import fresh_totp_code, totp_device
from tests.e2e.test_report_cycle import sign_in
from tests.schools.factories import (
    MembershipFactory,
    SchoolClassFactory,
    SchoolFactory,
    school_member,
)
from tests.schools.pupil_factories import PupilFactory

pytestmark = pytest.mark.e2e

NOTE = "已与双方班主任沟通，明天上午约谈家长"


@pytest.fixture
def case(transactional_db):
    from schools.school_year import current_school_year

    school = SchoolFactory(name="示例区实验中学")
    klass = SchoolClassFactory(school=school, school_year=current_school_year(), grade=7,
                               number=3)
    PupilFactory(school=school, current_class=klass, name="测试学生乙")
    lead = school_member(school, Role.SAFETY_OFFICER, username="s01-safety")
    MembershipFactory(user=lead, role=Role.REPORTING_LEAD, school=school)
    totp_device(lead)
    return bullying.bullying_report(
        school=school, by=lead, reporter="staff",
        reported_at=timezone.now() - dt.timedelta(hours=1), acts=["dignity"],
        description="课间被同学起侮辱性绰号", involved=[Involved(klass.pk, "测试学生乙", "target")])


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_a_note_typed_survives_another_step_refused_and_recorded(page, live_server, case):
    sign_in(page, live_server.url, "s01-safety")
    page.goto(f"{live_server.url}/incidents/bullying/{case.code}/")
    page.get_by_label("验证码").fill(fresh_totp_code(totp_device(case.recorded_by)))
    page.get_by_role("button", name="验证").click()
    note = page.get_by_test_id("note-form").locator("textarea[name=text]")
    note.fill(NOTE)

    # A step the server refuses (stopped in the future): the note is still there.
    stop = page.get_by_test_id("stop-form")
    stop.locator("[name=stopped_at]").fill(_local(timezone.now() + dt.timedelta(days=1)))
    stop.locator("[name=safety_measures]").fill("已将两人分班就座")
    stop.get_by_role("button").click()
    expect(page.get_by_test_id("action-failed")).to_be_visible()
    expect(note).to_have_value(NOTE)

    # The same step recorded: the page comes back and so does the note.
    stop = page.get_by_test_id("stop-form")
    stop.locator("[name=stopped_at]").fill(_local(timezone.now() - dt.timedelta(minutes=30)))
    stop.get_by_role("button").click()
    expect(page.get_by_test_id("stopped")).to_contain_text("已将两人分班就座")
    expect(note).to_have_value(NOTE)

    # Added to the chronology: it is not put back again.
    page.get_by_test_id("note-form").get_by_role("button").click()
    expect(page.get_by_test_id("bullying-chronology")).to_contain_text(NOTE)
    page.reload()
    expect(page.get_by_test_id("note-form").locator("textarea[name=text]")).to_have_value("")
