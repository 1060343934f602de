"""An inspector's reason for returning a report (退回原因) reads as it was typed
on every page that shows it, and a refused reason is never lost (issue 8
item 9)."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import translation

from reporting import services
from reporting.forms import MAX_RETURN_REASON
from reporting.models import Measure, ReportStatus
from tests.reporting.factories import ProgressReportFactory

pytestmark = pytest.mark.django_db

TYPED = "请补充：\n1. 活动照片\r\n<b>2.</b> 数据"
SHOWN = "请补充：<br>1. 活动照片<br>&lt;b&gt;2.&lt;/b&gt; 数据"
TOO_LONG = "请" * (MAX_RETURN_REASON + 1)


@pytest.fixture
def submitted(world, deadline):
    report = ProgressReportFactory(school=world.school_a, deadline=deadline)
    report.measures.create(measure=Measure.LEGAL, narrative="法治副校长授课 1 次")
    services.report_submit(report=report, by=world.safety_officer)
    return report


@pytest.fixture
def returned(world, submitted):
    return services.report_return(report=submitted, by=world.inspector, reason=TYPED)


def _page(client, name, *args) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


def test_the_school_reads_the_reason_line_by_line_and_escaped(world, login, returned):
    school = login(world.safety_officer)
    for page in (_page(school, "home"),
                 _page(school, "reporting:report_detail", returned.code),
                 _page(school, "reporting:report_edit", world.school_a.pk,
                       returned.deadline_id)):
        assert SHOWN in page
        assert "<b>2.</b>" not in page


def test_the_inspector_reads_it_the_same_in_the_portal_and_the_admin(world, login, returned):
    inspector = login(world.inspector)
    assert SHOWN in _page(inspector, "reporting:report_detail", returned.code)
    admin_page = _page(inspector, "admin:reporting_progressreport_change", returned.pk)
    assert SHOWN in admin_page
    assert "<b>2.</b>" not in admin_page


def test_a_too_long_reason_is_refused_in_chinese_on_the_report_s_own_page(world, login,
                                                                          submitted):
    inspector = login(world.inspector)
    response = inspector.post(reverse("reporting:report_return", args=[submitted.code]),
                              {"reason": TOO_LONG})
    detail = reverse("reporting:report_detail", args=[submitted.code])
    assert response.status_code == 302
    assert response["Location"] == detail + "#return"  # not …/return/
    page = inspector.get(detail).content.decode()
    assert (f"退回原因最多 {MAX_RETURN_REASON} 字，现有 {MAX_RETURN_REASON + 1} 字。"
            "请删减后再退回。") in page
    assert "确保该变量" not in page
    assert f"\n{TOO_LONG}</textarea>" in page  # the whole reason, as typed
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED


def test_the_kept_reason_is_shown_once_then_the_form_is_fresh(world, login, submitted):
    inspector = login(world.inspector)
    inspector.post(reverse("reporting:report_return", args=[submitted.code]),
                   {"reason": TOO_LONG})
    assert TOO_LONG in _page(inspector, "reporting:report_detail", submitted.code)
    assert TOO_LONG not in _page(inspector, "reporting:report_detail", submitted.code)


def test_the_reason_box_does_not_cut_a_pasted_reason_short(world, login, submitted):
    page = _page(login(world.inspector), "reporting:report_detail", submitted.code)
    textarea = page[page.index("<textarea"):page.index("</textarea>")]
    assert 'name="reason"' in textarea
    assert "maxlength" not in textarea


def test_a_reason_at_the_limit_is_accepted_whole(world, login, submitted):
    reason = "请" * MAX_RETURN_REASON
    login(world.inspector).post(reverse("reporting:report_return", args=[submitted.code]),
                                {"reason": reason})
    submitted.refresh_from_db()
    assert (submitted.status, submitted.return_reason) == (ReportStatus.RETURNED, reason)


def test_a_refusal_by_the_service_is_said_on_the_report_s_page(world, login, submitted):
    services.report_approve(report=submitted, by=world.inspector)  # someone was quicker
    response = login(world.inspector).post(
        reverse("reporting:report_return", args=[submitted.code]), {"reason": "请补充照片"},
        follow=True)
    assert response.redirect_chain == [
        (reverse("reporting:report_detail", args=[submitted.code]) + "#return", 302)]
    with translation.override("zh-hans"):
        refused = translation.gettext("Only a submitted report can be returned.")
    assert [str(m) for m in response.context["messages"]] == [refused]
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.APPROVED


def test_the_admin_s_bulk_return_refuses_a_too_long_reason_in_chinese(world, login,
                                                                       submitted):
    response = login(world.inspector).post(
        reverse("admin:reporting_progressreport_changelist"), {
            "action": "return_to_school", "apply": "1", "reason": TOO_LONG,
            ACTION_CHECKBOX_NAME: [submitted.pk]})
    page = response.content.decode()
    assert response.status_code == 400
    assert f"退回原因最多 {MAX_RETURN_REASON} 字" in page
    assert f"\n{TOO_LONG}</textarea>" in page
    submitted.refresh_from_db()
    assert submitted.status == ReportStatus.SUBMITTED
