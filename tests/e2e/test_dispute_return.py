"""矛盾纠纷排查 on a phone (issue 10 item 4; the newcomer walk-through): a
dispute typed but not recorded is not lost to a tap on 报送排查表 — the
school is asked first, and saying no keeps every word on the page; a
recorded dispute is filed after one confirmation."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import DisputeReturn
from schools.models import Role, School
from tests.e2e.test_report_cycle import sign_in
from tests.schools.factories import SchoolFactory, school_member

pytestmark = pytest.mark.e2e


@pytest.fixture
def school(transactional_db):
    school = SchoolFactory(name="示例区实验小学")
    School.objects.filter(pk=school.pk).update(joined_on=dt.date(2025, 1, 1))
    school_member(school, Role.SAFETY_OFFICER, username="s01-safety", full_name="李安全")
    return school


def test_a_typed_dispute_is_not_lost_and_a_recorded_one_is_filed(page, live_server, school):
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        # Say no to filing without the typed dispute; yes to everything else.
        (dialog.dismiss if "尚未登记" in dialog.message else dialog.accept)()

    page.on("dialog", answer)
    sign_in(page, live_server.url, "s01-safety")
    today = timezone.localdate()
    page.goto(f"{live_server.url}/incidents/disputes/schools/{school.pk}/"
              f"{today.year}/{today.month}/")
    page.get_by_label("当事各方（写身份，不写姓名）").fill("七年级两名学生")
    page.get_by_label("矛盾纠纷内容").fill("课间发生口角")
    page.get_by_test_id("file-return").click()
    assert len(asked) == 1
    assert "尚未登记" in asked[0]
    expect(page.get_by_label("当事各方（写身份，不写姓名）")).to_have_value("七年级两名学生")
    assert not DisputeReturn.objects.filter(submitted_at__isnull=False).exists()

    page.get_by_label("类型").select_option("student_student")
    page.get_by_label("风险等级").select_option("low")
    page.get_by_label("责任人").select_option(label="李安全")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_test_id("return-disputes")).to_contain_text("七年级两名学生")
    page.get_by_test_id("file-return").click()
    expect(page.get_by_text("的排查表已报送")).to_be_visible()
    assert len(asked) == 2  # the one confirmation that a filed return is final
    assert DisputeReturn.objects.get().is_submitted
