"""What the reporting cycle tells people, each notice exactly once."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from notifications.models import Notice
from notifications.services import deliver_due
from reporting import notices, services
from reporting.models import Measure, ReportStatus
from tests.reporting.factories import CampaignFactory, DeadlineFactory, ProgressReportFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def deadline(world):
    return DeadlineFactory(campaign=CampaignFactory(bureau=world.bureau),
                           due_date=dt.date(2026, 5, 13))


@pytest.fixture
def emails(world):
    for user in (world.principal, world.safety_officer, world.peer_principal, world.inspector):
        user.email = f"{user.username}@example.edu.cn"
        user.save()


def keys(kind):
    return sorted(Notice.objects.filter(kind=kind).values_list("key", flat=True))


def recipients(kind):
    return sorted(Notice.objects.filter(kind=kind).values_list("recipient__username", flat=True))


class TestReminders:
    def test_two_days_before_schools_that_have_not_submitted_are_reminded(self, world,
                                                                          deadline):
        with at(2026, 5, 11, 8, 0):
            result = notices.scan()
        assert result.reminders == 3
        assert recipients("reminder") == ["a-principal", "a-safety", "b-principal"]

    def test_a_school_that_has_submitted_is_not_reminded(self, world, deadline):
        ProgressReportFactory(school=world.school_a, deadline=deadline,
                              status=ReportStatus.SUBMITTED,
                              first_submitted_at=dt.datetime(2026, 5, 10, tzinfo=dt.UTC))
        with at(2026, 5, 11, 8, 0):
            notices.scan()
        assert recipients("reminder") == ["b-principal"]

    def test_scanning_twice_creates_nothing_more(self, world, deadline):
        with at(2026, 5, 11, 8, 0):
            notices.scan()
            assert notices.scan().reminders == 0
        assert Notice.objects.count() == 3

    def test_on_the_day_a_second_reminder_goes_out(self, world, deadline):
        with at(2026, 5, 11, 8, 0):
            notices.scan()
        with at(2026, 5, 13, 8, 0):
            assert notices.scan().reminders == 3

    def test_a_missed_scan_catches_up_with_one_reminder_not_two(self, world, deadline):
        with at(2026, 5, 12, 8, 0):  # the day-before scan ran; the 2-day one did not
            notices.scan()
        assert len(keys("reminder")) == 3

    def test_closed_schools_and_schools_outside_the_campaign_are_not_reminded(self, world,
                                                                            deadline):
        world.school_b.is_open = False
        world.school_b.save()
        with at(2026, 5, 11, 8, 0):
            notices.scan()
        assert "b-principal" not in recipients("reminder")

    @pytest.mark.parametrize("offsets", [[3], [1]])
    def test_the_reminder_days_are_configurable(self, world, deadline, settings, offsets):
        settings.REPORT_REMINDER_DAYS = offsets
        with at(2026, 5, 11, 8, 0):  # two days before
            notices.scan()
        assert bool(keys("reminder")) is (offsets == [3])


class TestOverdue:
    def test_the_morning_after_a_missed_deadline_the_principal_and_officer_are_told(
        self, world, deadline
    ):
        with at(2026, 5, 14, 8, 0):
            assert notices.scan().overdue == 3
        assert recipients("overdue") == ["a-principal", "a-safety", "b-principal"]

    def test_each_recipient_reads_it_in_the_language_of_their_account(
        self, world, deadline, emails
    ):
        world.safety_officer.language = "en"
        world.safety_officer.save()
        with at(2026, 5, 14, 8, 0):
            notices.scan()
            deliver_due()
        by_person = {m.to[0]: m for m in mail.outbox}
        english = by_person[world.safety_officer.email]
        chinese = by_person[world.principal.email]
        assert "overdue" in english.subject.lower()
        assert "逾期" not in english.subject + english.body
        assert "逾期" in chinese.subject + chinese.body

    def test_nothing_is_overdue_before_the_day_is_over(self, world, deadline):
        with at(2026, 5, 13, 23, 59):
            assert notices.scan().overdue == 0

    def test_a_late_report_cancels_the_overdue_notice_not_yet_sent(self, world, deadline):
        with at(2026, 5, 14, 7, 0):
            notices.scan()
        report = ProgressReportFactory(school=world.school_a, deadline=deadline)
        report.measures.create(measure=Measure.CAMPUS, narrative="x")
        services.report_submit(report=report, by=world.safety_officer)
        statuses = dict(Notice.objects.filter(kind="overdue").values_list(
            "recipient__username", "status"))
        assert statuses == {"a-principal": "cancelled", "a-safety": "cancelled",
                            "b-principal": "pending"}

    def test_rescanning_after_the_report_arrived_adds_nothing(self, world, deadline):
        with at(2026, 5, 14, 7, 0):
            notices.scan()
            report = ProgressReportFactory(school=world.school_a, deadline=deadline)
            report.measures.create(measure=Measure.CAMPUS, narrative="x")
            services.report_submit(report=report, by=world.safety_officer)
            assert notices.scan().overdue == 0


class TestReturnedAndDigest:
    def test_returning_a_report_tells_the_school_without_the_reason_in_the_email(
        self, world, deadline, emails
    ):
        report = ProgressReportFactory(school=world.school_a, deadline=deadline)
        report.measures.create(measure=Measure.CAMPUS, narrative="x")
        services.report_submit(report=report, by=world.safety_officer)
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
            notices.scan()
        response = login(world.safety_officer).get(reverse("notifications:list"))
        assert {n.recipient for n in response.context["page"]} == {world.safety_officer}
        assert response.context["unread_notices"] == 1

    def test_opening_a_notice_marks_it_read_and_goes_to_the_report(self, world, deadline,
                                                                   login):
        with at(2026, 5, 14, 8, 0):
            notices.scan()
        notice = Notice.objects.get(recipient=world.safety_officer)
        response = login(world.safety_officer).post(
            reverse("notifications:open", args=[notice.pk]))
        assert response["Location"] == reverse("reporting:report_edit",
                                               args=[world.school_a.pk, deadline.pk])
        notice.refresh_from_db()
        assert notice.read_at is not None

    def test_someone_elses_notice_is_not_found(self, world, deadline, login):
        with at(2026, 5, 14, 8, 0):
            notices.scan()
        notice = Notice.objects.get(recipient=world.safety_officer)
        response = login(world.principal).post(reverse("notifications:open", args=[notice.pk]))
        assert response.status_code == 404
        notice.refresh_from_db()
        assert notice.read_at is None


def test_the_scans_links_are_the_report_pages_reverse_gives(deadline):
    path = notices._report_paths(deadline)
    for school_id in (1, 42, 987_654_321, 10**12):
        assert path(school_id) == reverse("reporting:report_edit",
                                          args=[school_id, deadline.pk])
