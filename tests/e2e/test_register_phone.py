"""今日考勤 on a phone (issue 11 item 10): a head teacher opens the register
from the menu and marks two pupils — one truant, one late in the morning —
in under 10 taps; the list then shows the register taken with its two
exceptions, and the register holds exactly those two rows. Then she calls
the truant pupil's guardian from the page (the number is a tel: link) and
records the call, which completes her follow-up."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from attendance.models import ClassRegister
from schools.models import CalendarDay, Membership, Role, SchoolTerm
from schools.school_year import current_school_year
from tests.e2e.test_report_cycle import sign_in
from tests.schools.factories import SchoolClassFactory, SchoolFactory, school_member
from tests.schools.pupil_factories import GuardianFactory, PupilFactory

pytestmark = pytest.mark.e2e


@pytest.fixture
def klass(transactional_db):
    school = SchoolFactory(name="示例区实验中学")
    today = timezone.localdate()
    SchoolTerm.objects.create(bureau=school.bureau, name="本学期",
                              starts_on=today - dt.timedelta(days=30),
                              ends_on=today + dt.timedelta(days=30))
    # Whatever day the suite runs on, today is a school day.
    CalendarDay.objects.create(bureau=school.bureau, day=today, is_school_day=True,
                               reason="测试")
    cls = SchoolClassFactory(school=school, school_year=current_school_year(), grade=7,
                             number=3)
    head = school_member(school, Role.HEAD_TEACHER, username="s01-head")
    Membership.objects.get(user=head, school=school).classes.add(cls)
    for n in range(1, 41):
        PupilFactory(school=school, current_class=cls, name=f"学生{n:02d}")
    return cls


def test_a_head_teacher_marks_two_pupils_in_under_ten_taps(page, live_server, klass):
    sign_in(page, live_server.url, "s01-head")
    taps = 0

    def tap(locator):
        nonlocal taps
        taps += 1
        locator.click()

    tap(page.get_by_role("button", name="菜单"))
    tap(page.get_by_test_id("nav-registers"))
    expect(page.get_by_test_id("register-not-taken")).to_be_visible()
    tap(page.get_by_role("link", name="7年级3班"))
    truant, late = (klass.pupils.get(name=n) for n in ("学生03", "学生17"))
    tap(page.get_by_test_id(f"pupil-{truant.pk}"))
    tap(page.locator(f"label[for=code-{truant.pk}-truant]"))
    tap(page.get_by_test_id(f"pupil-{late.pk}"))
    tap(page.locator(f"label[for=code-{late.pk}-late]"))
    tap(page.locator(f"label[for=session-{late.pk}-am]"))
    page.screenshot(path="/tmp/e2e-register.png", full_page=False)
    tap(page.get_by_test_id("register-send"))
    expect(page.get_by_test_id("register-taken")).to_be_visible()
    expect(page.get_by_test_id("register-classes")).to_contain_text("2 人次异常")
    assert taps - 3 <= 10  # the menu, the entry and the class are the way in
    register = ClassRegister.objects.get()
    assert sorted(register.marks.values_list("pupil__name", "code", "session")) == [
        ("学生03", "truant", "day"), ("学生17", "late", "am")]

    # The guardian call, from the register.
    GuardianFactory(pupil=truant, is_primary=True, name="学生03家长", phone="13800138003")
    page.get_by_role("link", name="7年级3班").click()
    page.get_by_test_id("contact-link").click()
    expect(page.get_by_test_id("call-guardian")).to_have_attribute("href", "tel:13800138003")
    page.get_by_label("电话").check()
    page.get_by_label("已联系上").check()
    page.get_by_label("家长说明的原因").fill("孩子发烧，在家休息")
    page.screenshot(path="/tmp/e2e-contact.png", full_page=True)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("contacts")).to_contain_text("孩子发烧，在家休息")
    from attendance.followup_kinds import GUARDIAN_CONTACT
    from followups.models import FollowUp

    assert FollowUp.objects.get(kind=GUARDIAN_CONTACT).state == "done"
