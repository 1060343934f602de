"""What the reporting cycle tells people directly (a returned report, the
inspectors' digest), each notice exactly once. Reminders and overdue notices
are follow-up steps: tests/reporting/test_report_followups.py."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups.services import scan as followup_scan
from notifications.models import Notice
from notifications.services import deliver_due
from reporting import notices, services
from reporting.models import Measure, ReportStatus
from tests.reporting.factories import DeadlineFactory, ProgressReportFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def emails(world):
    for user in (world.principal, world.safety_officer, world.peer_principal, world.inspector):
        user.email = f"{user.username}@example.edu.cn"
        user.save()


def keys(kind):
    return sorted(Notice.objects.filter(kind=kind).values_list("key", flat=True))


def recipients(kind):
    return sorted(Notice.objects.filter(kind=kind).values_list("recipient__username", flat=True))


class TestReturnedAndDigest:
    def test_returning_a_report_tells_the_school_without_the_reason_in_the_email(
        self, world, deadline, emails
    ):
        report = ProgressReportFactory(school=world.school_a, deadline=deadline)
        report.measures.create(measure=Measure.CAMPUS, narrative="x")
        services.report_submit(report=report, by=world.safety_officer)
        deliver_due()
        mail.outbox.clear()  # the submitter's receipt (tests/reporting/test_receipts.py)
        services.report_return(report=report, by=world.inspector, reason="学生张某某的情况请删除")
        assert recipients("returned") == ["a-principal", "a-safety"]
        deliver_due()
        assert len(mail.outbox) == 2
        message = mail.outbox[0]
        body = message.body + message.alternatives[0][0]
        assert "张某某" not in body + message.subject
        assert reverse("reporting:report_detail", args=[report.code]) in body
        assert world.school_a.name in message.subject

    def test_a_second_return_is_a_second_notice(self, world, deadline):
        report = ProgressReportFactory(school=world.school_a, deadline=deadline)
        report.measures.create(measure=Measure.CAMPUS, narrative="x")
        for reason in ("一", "二"):
            services.report_submit(report=report, by=world.safety_officer)
            services.report_return(report=report, by=world.inspector, reason=reason)
        assert len(keys("returned")) == 4

    def test_inspectors_get_a_daily_digest_of_reports_awaiting_review(self, world, deadline):
        ProgressReportFactory(school=world.school_a, deadline=deadline,
                              status=ReportStatus.SUBMITTED,
                              first_submitted_at=dt.datetime(2026, 5, 12, tzinfo=dt.UTC))
        with at(2026, 5, 20, 8, 0):
            notices.scan()
            notices.scan()
        digest = Notice.objects.get(kind="digest")
        assert (digest.recipient, digest.context["count"]) == (world.inspector, 1)

    def test_the_digest_counts_awaiting_review_from_the_tallies_not_the_reports(
        self, world, deadline
    ):
        """Submitted and resubmitted reports wait; drafts, returned and approved
        ones do not. The count reads the dashboard's
        tallies (a few rows per deadline), never every report."""
        report = ProgressReportFactory(school=world.school_a, deadline=deadline)
        report.measures.create(measure=Measure.CAMPUS, narrative="x")
        services.report_submit(report=report, by=world.safety_officer)
        services.report_return(report=report, by=world.inspector, reason="补充")
        services.report_submit(report=report, by=world.safety_officer)  # resubmitted
        other = ProgressReportFactory(school=world.school_b, deadline=deadline)
        other.measures.create(measure=Measure.CAMPUS, narrative="x")
        services.report_submit(report=other, by=world.peer_principal)
        services.report_approve(report=other, by=world.inspector)
        later = DeadlineFactory(campaign=deadline.campaign, due_date=dt.date(2026, 5, 24))
        third = ProgressReportFactory(school=world.school_b, deadline=later)
        third.measures.create(measure=Measure.CAMPUS, narrative="x")
        services.report_submit(report=third, by=world.peer_principal)
        ProgressReportFactory(school=world.school_a, deadline=later)  # a draft
        assert notices.waiting_by_bureau() == {world.bureau.pk: 2}
        with CaptureQueriesContext(connection) as ctx, at(2026, 5, 20, 8, 0):
            notices.scan()
        assert not [q for q in ctx.captured_queries
                    if 'FROM "reporting_progressreport"' in q["sql"]]
        assert Notice.objects.get(kind="digest").context["count"] == 2


def test_a_report_returned_while_redis_is_down_is_saved_and_its_notice_waits(
    world, deadline, settings
):
    from safety_portal.celery import app

    # Saved before the settings change: app.conf reads Django's settings, so
    # saving afterwards would "restore" the dead broker for every later test.
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    app.conf.broker_url = settings.CELERY_BROKER_URL
    app.conf.task_always_eager = False
    try:
        report = ProgressReportFactory(school=world.school_a, deadline=deadline)
        report.measures.create(measure=Measure.CAMPUS, narrative="x")
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            services.report_submit(report=report, by=world.safety_officer)
            services.report_return(report=report, by=world.inspector, reason="补充")
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    assert Notice.objects.filter(kind="returned", status="pending").count() == 2


class TestNoticePage:
    def test_a_user_sees_only_their_own_notices(self, world, deadline, login):
        with at(2026, 5, 14, 8, 0):
            followup_scan()
        response = login(world.safety_officer).get(reverse("notifications:list"))
        assert {n.recipient for n in response.context["page"]} == {world.safety_officer}
        assert response.context["unread_notices"] == 1

    def test_opening_a_notice_marks_it_read_and_goes_to_the_report(self, world, deadline,
                                                                   login):
        with at(2026, 5, 14, 8, 0):
            followup_scan()
        notice = Notice.objects.get(recipient=world.safety_officer)
        response = login(world.safety_officer).post(
            reverse("notifications:open", args=[notice.pk]))
        assert response["Location"] == reverse("reporting:report_edit",
                                               args=[world.school_a.pk, deadline.pk])
        notice.refresh_from_db()
        assert notice.read_at is not None

    def test_someone_elses_notice_is_not_found(self, world, deadline, login):
        with at(2026, 5, 14, 8, 0):
            followup_scan()
        notice = Notice.objects.get(recipient=world.safety_officer)
        response = login(world.principal).post(reverse("notifications:open", args=[notice.pk]))
        assert response.status_code == 404
        notice.refresh_from_db()
        assert notice.read_at is None
