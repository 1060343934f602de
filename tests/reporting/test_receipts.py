"""The receipt (回执) for each submission (issue 8 item 5): the submitter is
told in 消息 and by e-mail, once per submission or resubmission, with the
school's name and the deadline only. The e-mail goes through a real SMTP
server (aiosmtpd, as the notices' delivery test uses)."""

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from notifications.models import Notice
from notifications.services import deliver_due
from reporting import notices, services
from reporting.models import Measure, ReportTransition
from tests.reporting.factories import ProgressReportFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
SECRET = "学生张某某家访记录"  # what a report may say, never what a receipt says


def at(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def report(world, deadline):
    world.safety_officer.email = "a-safety@example.edu.cn"
    world.safety_officer.save()
    world.principal.email = "a-principal@example.edu.cn"
    world.principal.save()
    report = ProgressReportFactory(school=world.school_a, deadline=deadline, sections={
        "organisation": "校长任组长", "results": SECRET, "problems": "无", "next_steps": "无"})
    report.measures.create(measure=Measure.CAMPUS, narrative=SECRET)
    return report


def receipts():
    return list(Notice.objects.filter(kind="receipt").order_by("pk"))


class TestOnePerSubmission:
    def test_submitting_gives_the_submitter_one_receipt(self, world, report):
        with at(2026, 5, 12, 9, 0):
            services.report_submit(report=report, by=world.safety_officer)
        [receipt] = receipts()
        assert receipt.recipient == world.safety_officer
        assert receipt.subject_type == "reporting.progressreport"
        assert receipt.subject_code == str(report.code)
        assert receipt.context == {
            "path": reverse("reporting:report_detail", args=[report.code]),
            "school_name": "甲小学", "deadline_date": "2026-05-13"}

    def test_each_submission_resubmission_and_submission_after_a_withdrawal_has_its_own(
        self, world, report
    ):
        with at(2026, 5, 12, 9, 0):
            services.report_submit(report=report, by=world.safety_officer)
            services.report_withdraw(report=report, by=world.safety_officer)
            services.report_submit(report=report, by=world.principal)
            services.report_return(report=report, by=world.inspector, reason="补充")
            services.report_submit(report=report, by=world.safety_officer)
        assert [r.recipient for r in receipts()] == [
            world.safety_officer, world.principal, world.safety_officer]

    def test_telling_the_same_submission_twice_writes_one_receipt(self, world, report):
        with at(2026, 5, 12, 9, 0):
            services.report_submit(report=report, by=world.safety_officer)
        transition = ReportTransition.objects.get(report=report, action="submit")
        report.refresh_from_db()
        assert notices.report_received(report, transition, world.safety_officer) == 0
        assert len(receipts()) == 1

    def test_a_refused_submission_gives_no_receipt(self, world, deadline):
        empty = ProgressReportFactory(school=world.school_a, deadline=deadline, sections={})
        with pytest.raises(ValidationError):
            services.report_submit(report=empty, by=world.safety_officer)
        assert receipts() == []

    def test_withdrawing_and_reviewing_send_no_receipt(self, world, report):
        services.report_submit(report=report, by=world.safety_officer)
        services.report_withdraw(report=report, by=world.safety_officer)
        services.report_submit(report=report, by=world.safety_officer)
        services.report_approve(report=report, by=world.inspector)
        assert len(receipts()) == 2

    def test_history_written_after_the_fact_tells_nobody(self, world, report):
        """notify=False (the demo's back-dated submissions): the report is
        submitted and returned as usual, with no receipt and no return notice;
        the revision is still owed (its follow-up opens)."""
        from followups.models import FollowUp

        submitted_at = dt.datetime(2026, 5, 12, 10, 0, tzinfo=SHANGHAI)
        with at(2026, 6, 1, 9, 0):
            services.report_submit(report=report, by=world.safety_officer,
                                   at=submitted_at, notify=False)
            services.report_return(report=report, by=world.inspector, reason="补充",
                                   at=submitted_at + dt.timedelta(days=1), notify=False)
        report.refresh_from_db()
        assert report.status == "returned"
        assert report.first_submitted_at == submitted_at
        assert Notice.objects.count() == 0
        assert FollowUp.objects.filter(subject_code=str(report.code)).exists()
        services.report_submit(report=report, by=world.safety_officer)
        assert len(receipts()) == 1, "a submission made now has its receipt again"

    def test_a_receipt_not_yet_sent_is_not_sent_after_a_withdrawal(self, world, report):
        services.report_submit(report=report, by=world.safety_officer)
        services.report_withdraw(report=report, by=world.safety_officer)
        [receipt] = receipts()
        assert receipt.status == Notice.Status.CANCELLED
        assert deliver_due() == 0

    def test_a_receipt_already_sent_stays_true_of_its_moment(self, world, report):
        services.report_submit(report=report, by=world.safety_officer)
        assert deliver_due() == 1
        services.report_withdraw(report=report, by=world.safety_officer)
        [receipt] = receipts()
        assert receipt.status == Notice.Status.SENT

    def test_the_receipt_is_listed_in_the_submitters_notices(self, world, report, login):
        services.report_submit(report=report, by=world.safety_officer)
        body = login(world.safety_officer).get(reverse("notifications:list")).content.decode()
        assert "报告已收到" in body
        assert "甲小学" in body
        other = login(world.principal).get(reverse("notifications:list")).content.decode()
        assert "报告已收到" not in other


def wait_for(inbox, n):
    deadline = time.monotonic() + 5
    while len(inbox.messages) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    return inbox.messages


def test_the_receipt_is_emailed_to_the_submitter_with_the_school_and_deadline_only(
    world, report, smtp_inbox, monkeypatch
):
    # Delivered here by deliver_due, not by the eager after-commit kick.
    monkeypatch.setattr("notifications.services.kick_delivery", lambda: None)
    with at(2026, 5, 12, 9, 0):
        services.report_submit(report=report, by=world.safety_officer)
    assert deliver_due() == 1
    [(rcpt_tos, message)] = wait_for(smtp_inbox, 1)
    assert rcpt_tos == ["a-safety@example.edu.cn"]
    subject = " ".join(message["Subject"].split())
    assert "甲小学" in subject
    assert "2026年5月13日" in subject
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "教体局已收到甲小学截止日期为2026年5月13日的报告" in text
    assert reverse("reporting:report_detail", args=[report.code]) in text
    for part in (subject, text, html):
        assert SECRET not in part
        assert "门卫" not in part
    assert deliver_due() == 0  # once: nothing left to send
    assert len(smtp_inbox.messages) == 1
