"""The report pages as a school officer and an inspector meet them."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from reporting.models import Measure, ProgressReport, ReportStatus
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory

pytestmark = pytest.mark.django_db

COMPLETE = {
    "organisation": "校长任组长", "results": "教育 3 次", "problems": "无",
    "next_steps": "防溺水教育", f"measure_{Measure.CAMPUS}_on": "on",
    f"measure_{Measure.CAMPUS}": "门卫检查 2 次",
}


def edit_url(world, deadline):
    return reverse("reporting:report_edit", args=[world.school_a.pk, deadline.pk])


def test_saving_a_draft_keeps_everything_typed(world, login, deadline):
    client = login(world.safety_officer)
    response = client.post(edit_url(world, deadline), {"save": "", "results": "写了一半"})
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert (report.status, report.sections["results"]) == (ReportStatus.DRAFT, "写了一半")
    assert "写了一半" in client.get(edit_url(world, deadline)).content.decode()


def test_submitting_an_incomplete_report_saves_it_and_names_what_is_missing(
    world, login, deadline
):
    response = login(world.safety_officer).post(edit_url(world, deadline), {
        "submit": "", "results": "教育 3 次"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "请填写“组织领导与责任落实”" in body
    assert "请至少勾选一项" in body
    assert "教育 3 次" in body
    # Named at the top, each with a link to its field (far below on a phone).
    top = body[body.index('data-testid="missing-parts"'):]
    top = top[:top.index("</div>")]
    assert 'href="#id_organisation"' in top
    assert "请填写“组织领导与责任落实”" in top
    assert ProgressReport.objects.get().status == ReportStatus.DRAFT


@time_machine.travel(dt.datetime(2026, 5, 13, 15, 0, tzinfo=dt.UTC), tick=False)
def test_a_complete_report_is_submitted_on_time_and_becomes_read_only(world, login, deadline):
    client = login(world.safety_officer)
    response = client.post(edit_url(world, deadline), {"submit": "", **COMPLETE})
    report = ProgressReport.objects.get()
    assert response["Location"] == reverse("reporting:report_detail", args=[report.code])
    assert report.status == ReportStatus.SUBMITTED
    page = client.get(response["Location"]).content.decode()
    assert "按时" in page
    assert "门卫检查 2 次" in page
    # The form is closed now: asking for it leads back to the read-only page.
    assert client.get(edit_url(world, deadline))["Location"] == response["Location"]


def test_the_inspector_returns_with_a_reason_and_the_school_sees_it(world, login, deadline):
    report = ProgressReportFactory(school=world.school_a, deadline=deadline,
                                   status=ReportStatus.SUBMITTED,
                                   first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
    inspector = login(world.inspector)
    url = reverse("reporting:report_return", args=[report.code])
    empty = inspector.post(url, {"reason": ""}, follow=True)
    assert empty.redirect_chain[-1][0].endswith(f"/reports/{report.code}/#return")
    assert "请填写退回原因" in empty.content.decode()
    inspector.post(url, {"reason": "请补充活动照片"})
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    home = login(world.safety_officer).get(reverse("home")).content.decode()
    assert "请补充活动照片" in home


def test_the_review_queue_lists_reports_awaiting_review_in_the_district(world, login, deadline):
    waiting = ProgressReportFactory(school=world.school_a, deadline=deadline,
                                    status=ReportStatus.SUBMITTED,
                                    first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
    ProgressReportFactory(school=world.school_b, deadline=deadline)  # a draft: not listed
    other = DeadlineFactory(campaign=CampaignFactory(bureau=world.other_bureau))
    ProgressReportFactory(school=world.school_c, deadline=other, status=ReportStatus.SUBMITTED,
                          first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
    response = login(world.inspector).get(reverse("reporting:review_queue"))
    assert list(response.context["page"]) == [waiting]


def test_the_review_queue_writes_every_date_the_same_way(world, login, deadline):
    ProgressReportFactory(school=world.school_a, deadline=deadline, status=ReportStatus.SUBMITTED,
                          first_submitted_at=dt.datetime(2026, 5, 12, 2, 30, tzinfo=dt.UTC))
    body = login(world.inspector).get(reverse("reporting:review_queue")).content.decode()
    assert "2026年5月13日</td>" in body  # the deadline column
    assert "2026年5月12日 10:30" in body  # submitted, Asia/Shanghai
    assert ">2026年5月13日 进度报告</option>" in body  # the deadline picker
    assert "2026-05-13" not in body
    assert "05-12 10:30" not in body


def submitted(school, deadline, day=12):
    return ProgressReportFactory(school=school, deadline=deadline, status=ReportStatus.SUBMITTED,
                                 first_submitted_at=dt.datetime(2026, 5, day, tzinfo=dt.UTC))


class TestTheQueueAnswersTheInspectorsFirstQuestion:
    def test_newest_deadline_first_with_the_total(self, world, login, deadline):
        later = DeadlineFactory(campaign=deadline.campaign, due_date=dt.date(2026, 5, 24))
        older, newer = submitted(world.school_a, deadline), submitted(world.school_b, later, 20)
        response = login(world.inspector).get(reverse("reporting:review_queue"))
        assert list(response.context["page"]) == [newer, older]
        assert "共 2 份报告" in response.content.decode()

    def test_a_school_is_found_by_part_of_its_name_or_its_code(self, world, login, deadline):
        mine, _other = submitted(world.school_a, deadline), submitted(world.school_b, deadline)
        client = login(world.inspector)
        for q in ("甲", world.school_a.code.lower()):
            response = client.get(reverse("reporting:review_queue"), {"q": q})
            assert list(response.context["page"]) == [mine]

    def test_approve_asks_first_and_can_open_the_next(self, world, login, deadline):
        first, second = submitted(world.school_a, deadline), submitted(world.school_b, deadline, 13)
        client = login(world.inspector)
        body = client.get(reverse("reporting:report_detail", args=[first.code])).content.decode()
        assert "确定通过这份报告吗" in body
        response = client.post(reverse("reporting:report_approve", args=[first.code]),
                               {"next": "1"})
        assert response["Location"] == reverse("reporting:report_detail", args=[second.code])
        response = client.post(reverse("reporting:report_approve", args=[second.code]),
                               {"next": "1"})
        assert response["Location"] == reverse("reporting:review_queue")
        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.status, second.status) == (ReportStatus.APPROVED, ReportStatus.APPROVED)


def test_the_review_queue_filters_by_status_and_type(world, login, deadline):
    approved = ProgressReportFactory(school=world.school_a, deadline=deadline,
                                     status=ReportStatus.APPROVED,
                                     first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
    client = login(world.inspector)
    response = client.get(reverse("reporting:review_queue"), {"status": "approved"})
    assert list(response.context["page"]) == [approved]
    response = client.get(reverse("reporting:review_queue"),
                          {"status": "approved", "school_type": "kindergarten"})
    assert list(response.context["page"]) == []


def test_a_nonsense_filter_is_ignored_not_an_error(world, login):
    response = login(world.inspector).get(reverse("reporting:review_queue"),
                                          {"deadline": "abc", "status": "<x>", "page": "-1"})
    assert response.status_code == 200


def test_the_school_report_list_shows_each_deadline_with_its_status(world, login, deadline):
    DeadlineFactory(campaign=deadline.campaign, due_date=dt.date(2026, 5, 24))
    ProgressReportFactory(school=world.school_a, deadline=deadline)
    response = login(world.principal).get(
        reverse("reporting:school_reports", args=[world.school_a.pk]))
    statuses = [row.status for row in response.context["rows"]]
    assert statuses == [ReportStatus.DRAFT, ""]


def test_a_deadline_of_a_campaign_that_does_not_cover_the_school_is_not_found(world, login):
    kindergartens_only = CampaignFactory(bureau=world.bureau, school_types=["kindergarten"])
    deadline = DeadlineFactory(campaign=kindergartens_only)
    response = login(world.principal).get(edit_url(world, deadline))
    assert response.status_code == 404


def test_the_school_report_pages_cost_the_same_queries_for_more_deadlines(
    world, login, deadline
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(world.principal)
    url = reverse("reporting:school_reports", args=[world.school_a.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for day in range(1, 20):
        d = DeadlineFactory(campaign=deadline.campaign, due_date=dt.date(2026, 6, day))
        ProgressReportFactory(school=world.school_a, deadline=d)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


@pytest.mark.parametrize("extra_schools", [0, 30])
def test_the_review_queue_runs_a_fixed_number_of_queries(world, login, deadline, extra_schools,
                                                         django_assert_num_queries):
    from tests.schools.factories import SchoolFactory

    for school in [world.school_a, *(SchoolFactory(bureau=world.bureau)
                                     for _ in range(extra_schools))]:
        ProgressReportFactory(school=school, deadline=deadline, status=ReportStatus.SUBMITTED,
                              first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
    client = login(world.inspector)
    with django_assert_num_queries(REVIEW_QUEUE_QUERIES):
        assert client.get(reverse("reporting:review_queue"),
                          {"school_type": "primary"}).status_code == 200


# The same with 1 or 31 reports (the FilterSet adds no query per row or school);
# one of them is the second-factor device django-otp reads for a bureau account.
REVIEW_QUEUE_QUERIES = 11


class TestTheFormSaysWhereTheDeadlineStands:
    """The report form tells the school, before anything is typed, whether it is
    on time (issue 8, walk-through i). The 13 May deadline closes at midnight
    Beijing time (16:00 UTC on 13 May)."""

    def state(self, world, login, deadline):
        body = login(world.safety_officer).get(edit_url(world, deadline)).content.decode()
        start = body.find('data-testid="deadline-state"')
        return body[start:body.find("<", start)] if start >= 0 else None

    @time_machine.travel(dt.datetime(2026, 5, 11, 2, 0, tzinfo=dt.UTC), tick=False)
    def test_days_left_before_the_deadline(self, world, login, deadline):
        assert "还剩 2 天" in self.state(world, login, deadline)

    @time_machine.travel(dt.datetime(2026, 5, 13, 15, 59, tzinfo=dt.UTC), tick=False)
    def test_due_today_until_midnight_beijing_time(self, world, login, deadline):
        assert "今天截止" in self.state(world, login, deadline)

    @time_machine.travel(dt.datetime(2026, 5, 15, 1, 0, tzinfo=dt.UTC), tick=False)
    def test_a_school_past_the_deadline_is_told_its_report_counts_as_late(
            self, world, login, deadline):
        assert "已过截止日期 2 天" in self.state(world, login, deadline)
        assert "迟报" in self.state(world, login, deadline)

    @time_machine.travel(dt.datetime(2026, 5, 20, 1, 0, tzinfo=dt.UTC), tick=False)
    def test_a_returned_report_keeps_its_first_submission_so_nothing_is_said(
            self, world, login, deadline):
        ProgressReportFactory(school=world.school_a, deadline=deadline,
                              status=ReportStatus.RETURNED,
                              first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
        assert self.state(world, login, deadline) is None


def test_save_and_submit_come_after_the_photos(world, login, deadline):
    body = login(world.safety_officer).get(edit_url(world, deadline)).content.decode()
    photos = body.find('data-testid="photos-card"')
    actions = body.find('data-testid="report-actions"')
    assert 0 < photos < actions
    assert body.count('form="report-form" name="submit"') == 1


class TestAStaleTabNeverOverwritesANewerSave:
    """Two tabs (or a phone and a desk) on one draft: a save from the page opened
    before the other saved is refused and shown again as typed; saving again from
    that page keeps its text (issue 8 item 1: nothing typed is lost, either side)."""

    def test_the_older_page_is_refused_then_wins_when_saved_again(self, world, login,
                                                                   deadline):
        client = login(world.safety_officer)
        client.post(edit_url(world, deadline), {"save": "", "results": "第一版", "version": 0})
        # Two pages were opened on version 1; the phone saves first (version 2).
        client.post(edit_url(world, deadline), {"save": "", "results": "手机上写的",
                                                "version": 1})
        stale = client.post(edit_url(world, deadline), {"save": "", "results": "电脑上写的",
                                                        "version": 1})
        assert stale.status_code == 409
        body = stale.content.decode()
        assert "电脑上写的" in body  # shown again as typed
        assert "在其他窗口或设备上保存" in body
        assert 'name="version" value="2"' in body  # saving again from here overwrites
        assert ProgressReport.objects.get().sections["results"] == "手机上写的"
        again = client.post(edit_url(world, deadline), {"save": "", "results": "电脑上写的",
                                                        "version": 2})
        assert again.status_code == 302
        assert ProgressReport.objects.get().sections["results"] == "电脑上写的"

    def test_a_stale_submit_is_refused_too_and_nothing_is_submitted(self, world, login,
                                                                    deadline):
        client = login(world.safety_officer)
        client.post(edit_url(world, deadline), {"save": "", "results": "第一版", "version": 0})
        client.post(edit_url(world, deadline), {"save": "", "results": "第二版", "version": 1})
        response = client.post(edit_url(world, deadline), {"submit": "", **COMPLETE,
                                                           "version": 1})
        assert response.status_code == 409
        assert ProgressReport.objects.get().status == ReportStatus.DRAFT


def test_the_pages_own_autosave_arriving_first_is_no_conflict(world, login, deadline):
    """Leaving the last field for 提交 fires this page's autosave; when it is saved
    first, the submission (same text, the version the page had) still goes through."""
    client = login(world.safety_officer)
    client.post(edit_url(world, deadline), {"save": "", "results": "第一版", "version": 0})
    # The autosave of the same page stores exactly what the submission carries.
    client.post(edit_url(world, deadline), {"save": "", **COMPLETE, "version": 1})
    response = client.post(edit_url(world, deadline), {"submit": "", **COMPLETE,
                                                       "version": 1})
    assert response.status_code == 302
    assert ProgressReport.objects.get().status == ReportStatus.SUBMITTED
