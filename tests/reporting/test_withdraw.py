"""撤回 (issue 8 item 5): a school takes back a submitted report until an
inspector has reviewed it. A withdrawn submission does not count: the next
submission decides whether the report is on time (services.report_withdraw)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from audit.models import AuditEvent
from core.workflows import InvalidTransition
from followups.models import FollowUp
from reporting import notices, selectors, services, tallies
from reporting.followup_kinds import REPORT_DUE, subject_code
from reporting.models import Measure, ReportStatus, ReportTransition, Timeliness
from tests.reporting.factories import ProgressReportFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args):
    return time_machine.travel(dt.datetime(*args, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def report(world, deadline):
    """School A's complete draft for 13 May, submitted on the 12th."""
    report = ProgressReportFactory(school=world.school_a, deadline=deadline)
    report.measures.create(measure=Measure.CAMPUS, narrative="门卫值守检查 2 次。")
    with at(2026, 5, 12, 9, 0):
        services.report_submit(report=report, by=world.safety_officer)
    report.refresh_from_db()
    return report


def withdraw(report, user, *args):
    with at(*(args or (2026, 5, 12, 10, 0))):
        services.report_withdraw(report=report, by=user)
    report.refresh_from_db()
    return report


def submit(report, user, *args):
    with at(*args):
        services.report_submit(report=report, by=user)
    report.refresh_from_db()
    return report


class TestTheTransition:
    def test_a_submitted_report_becomes_a_draft_the_school_can_edit(self, world, report):
        withdraw(report, world.safety_officer)
        assert report.status == ReportStatus.DRAFT
        assert report.is_editable
        services.report_save_draft(report=report, by=world.safety_officer,
                                   sections={"results": "补充数据"}, measures={})

    def test_it_is_a_transition_with_who_and_when_and_an_audit_row(self, world, report):
        withdraw(report, world.principal, 2026, 5, 12, 10, 30)
        row = ReportTransition.objects.filter(report=report).last()
        assert (row.action, row.from_state, row.to_state, row.actor) == (
            "withdraw", ReportStatus.SUBMITTED, ReportStatus.DRAFT, world.principal)
        assert row.at == dt.datetime(2026, 5, 12, 10, 30, tzinfo=SHANGHAI)
        event = AuditEvent.objects.get(action="report.withdraw")
        assert (event.user, event.target_code, event.school_id) == (
            world.principal, str(report.code), world.school_a.pk)

    @pytest.mark.parametrize("status", [ReportStatus.RETURNED, ReportStatus.RESUBMITTED,
                                        ReportStatus.APPROVED])
    def test_a_reviewed_report_cannot_be_withdrawn(self, world, deadline, status):
        reviewed = ProgressReportFactory(school=world.school_a, deadline=deadline, status=status,
                                         first_submitted_at=dt.datetime(2026, 5, 12,
                                                                        tzinfo=SHANGHAI))
        with pytest.raises(InvalidTransition, match="已审核"):
            services.report_withdraw(report=reviewed, by=world.safety_officer)
        reviewed.refresh_from_db()
        assert reviewed.status == status
        assert not AuditEvent.objects.filter(action="report.withdraw").exists()

    def test_a_draft_has_nothing_to_withdraw_and_says_so(self, world, report):
        withdraw(report, world.safety_officer)
        with pytest.raises(InvalidTransition, match="没有可撤回"):
            services.report_withdraw(report=report, by=world.safety_officer)
        assert ReportTransition.objects.filter(report=report, action="withdraw").count() == 1

    @pytest.mark.parametrize("who", ["head_teacher", "counselor", "inspector",
                                     "peer_principal"])
    def test_only_the_schools_writers_may_withdraw(self, world, report, who):
        with pytest.raises(PermissionDenied):
            services.report_withdraw(report=report, by=getattr(world, who))
        report.refresh_from_db()
        assert report.status == ReportStatus.SUBMITTED


class TestTimeliness:
    def test_withdrawn_and_submitted_again_before_the_deadline_is_on_time(self, world, report):
        withdraw(report, world.safety_officer, 2026, 5, 13, 9, 0)
        submit(report, world.safety_officer, 2026, 5, 13, 23, 0)
        assert report.status == ReportStatus.SUBMITTED
        assert report.first_submitted_at == dt.datetime(2026, 5, 13, 23, 0, tzinfo=SHANGHAI)
        assert report.timeliness == Timeliness.ON_TIME

    def test_withdrawn_and_submitted_again_after_the_deadline_is_late(self, world, report):
        """Submitted on time on the 12th, withdrawn on the 13th, in again on the
        14th: the bureau did not hold a report when the deadline closed."""
        withdraw(report, world.safety_officer, 2026, 5, 13, 20, 0)
        submit(report, world.safety_officer, 2026, 5, 14, 8, 0)
        assert report.first_submitted_at == dt.datetime(2026, 5, 14, 8, 0, tzinfo=SHANGHAI)
        assert report.timeliness == Timeliness.LATE

    def test_withdrawn_and_not_submitted_again_is_missing(self, world, report):
        withdraw(report, world.safety_officer, 2026, 5, 13, 20, 0)
        assert (report.first_submitted_at, report.last_submitted_at) == (None, None)
        assert report.timeliness == Timeliness.MISSING


class TestCountsAndQueue:
    def test_the_tallies_follow_a_withdrawal_and_stay_equal_to_a_recount(
        self, world, report, deadline
    ):
        def counts():
            return tallies.read([deadline], [world.school_a.school_type])[
                (deadline.pk, world.school_a.school_type)].marks

        assert (counts().submitted, counts().on_time) == (1, 1)
        withdraw(report, world.safety_officer)
        assert (counts().submitted, counts().on_time) == (0, 0)
        assert tallies.rebuild([deadline]) == 0  # nothing to correct
        submit(report, world.safety_officer, 2026, 5, 14, 9, 0)
        assert (counts().submitted, counts().on_time) == (1, 0)  # now late
        assert tallies.rebuild([deadline]) == 0

    def test_a_withdrawn_report_leaves_the_review_queue_and_the_digest(self, world, report,
                                                                       login):
        assert notices.waiting_by_bureau() == {world.bureau.pk: 1}
        withdraw(report, world.safety_officer)
        assert report not in selectors.review_candidates(world.inspector)
        assert notices.waiting_by_bureau() == {}
        response = login(world.inspector).get(reverse("reporting:review_queue"))
        assert list(response.context["page"]) == []

    def test_the_report_is_owed_again_so_its_follow_up_opens_again(self, world, report,
                                                                   deadline):
        code = subject_code(deadline.pk, world.school_a.pk)
        assert not FollowUp.objects.open().filter(kind=REPORT_DUE, subject_code=code).exists()
        withdraw(report, world.safety_officer)
        assert FollowUp.objects.open().filter(kind=REPORT_DUE, subject_code=code).count() == 1
        submit(report, world.safety_officer, 2026, 5, 13, 9, 0)
        assert not FollowUp.objects.open().filter(kind=REPORT_DUE, subject_code=code).exists()


class TestThePage:
    def test_the_schools_writer_sees_the_button_with_a_confirmation(self, world, report,
                                                                    login):
        body = login(world.safety_officer).get(
            reverse("reporting:report_detail", args=[report.code])).content.decode()
        action = reverse("reporting:report_withdraw", args=[report.code])
        assert f'action="{action}"' in body
        form = body[body.index(f'action="{action}"'):]
        assert "确定撤回这份报告吗" in form[:form.index("</form>")]

    @pytest.mark.parametrize("who", ["head_teacher", "inspector"])
    def test_readers_who_may_not_submit_see_no_button(self, world, report, login, who):
        body = login(getattr(world, who)).get(
            reverse("reporting:report_detail", args=[report.code])).content.decode()
        assert reverse("reporting:report_withdraw", args=[report.code]) not in body

    def test_a_reviewed_report_shows_no_button(self, world, report, login):
        services.report_approve(report=report, by=world.inspector)
        body = login(world.safety_officer).get(
            reverse("reporting:report_detail", args=[report.code])).content.decode()
        assert reverse("reporting:report_withdraw", args=[report.code]) not in body

    def test_withdrawing_opens_the_form_with_a_message(self, world, report, login):
        client = login(world.safety_officer)
        response = client.post(reverse("reporting:report_withdraw", args=[report.code]),
                               follow=True)
        assert response.redirect_chain[0][0] == reverse(
            "reporting:report_edit", args=[world.school_a.pk, report.deadline_id])
        assert "报告已撤回" in response.content.decode()
        report.refresh_from_db()
        assert report.status == ReportStatus.DRAFT

    def test_once_reviewed_it_is_refused_with_a_clear_message(self, world, report, login):
        services.report_return(report=report, by=world.inspector, reason="补充照片")
        client = login(world.safety_officer)
        response = client.post(reverse("reporting:report_withdraw", args=[report.code]),
                               follow=True)
        assert response.redirect_chain[0][0] == reverse("reporting:report_detail",
                                                        args=[report.code])
        assert "这份报告已审核，不能再撤回" in response.content.decode()
        report.refresh_from_db()
        assert report.status == ReportStatus.RETURNED

    def test_it_is_post_only(self, world, report, login):
        response = login(world.safety_officer).get(
            reverse("reporting:report_withdraw", args=[report.code]))
        assert response.status_code == 405


def test_the_timelines_say_withdrawn_not_draft(world, report, login):
    from core.timelines import entries_for

    withdraw(report, world.safety_officer)
    body = login(world.principal).get(
        reverse("reporting:report_detail", args=[report.code])).content.decode()
    timeline = body[body.index('data-testid="timeline"'):]
    assert "已撤回" in timeline[:timeline.index("</ol>")]
    with at(2026, 5, 12, 11, 0):
        [newest, *_rest] = entries_for("schools.school", str(world.school_a.pk),
                                       world.principal)
    assert newest.title.startswith("已撤回")
