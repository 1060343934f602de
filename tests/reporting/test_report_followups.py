"""A school's report for a deadline is a follow-up (reporting.report_due): the
reminders before it and the overdue notice after it are its steps, told by the
follow-up scan, each exactly once — including the calendar faults found in the
field: a moved deadline, a catch-up over several days, a report that arrives,
and two reports due the same day (24 December)."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups.models import FollowUp
from followups.selectors import todos_for
from followups.services import scan
from notifications.models import GroupMessage, GroupRobot, Notice
from notifications.services import deliver_due
from reporting import services
from reporting.followup_kinds import REPORT_DUE, REPORT_RESUBMIT
from reporting.models import DeadlineKind, Measure
from schools.models import Membership, Role
from tests.conftest import shanghai
from tests.reporting.factories import DeadlineFactory, ProgressReportFactory
from tests.schools.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def scan_at(moment: str):
    with time_machine.travel(shanghai(moment), tick=False):
        return scan()


@pytest.fixture
def emails(world):
    for user in (world.principal, world.safety_officer, world.peer_principal):
        user.email = f"{user.username}@example.edu.cn"
        user.save()


def recipients(kind):
    return sorted(Notice.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def submit(world, deadline, at=None):
    report = ProgressReportFactory(school=world.school_a, deadline=deadline)
    report.measures.create(measure=Measure.CAMPUS, narrative="x")
    return services.report_submit(report=report, by=world.safety_officer, at=at)


class TestOpening:
    def test_every_expected_school_owes_each_deadline_a_report(self, world, deadline):
        rows = FollowUp.objects.filter(kind=REPORT_DUE)
        assert {r.school.name for r in rows} == {"甲小学", "乙小学"}
        assert {r.due_at for r in rows} == {shanghai("2026-05-14 00:00")}

    def test_arming_skips_submitted_schools_with_an_anti_join_in_batches(
        self, world, deadline, monkeypatch
    ):
        """Expected schools minus those that submitted, as NOT EXISTS (a NOT IN
        over a national deadline's ~400,000 submitted schools spills past
        work_mem), opened a batch at a time."""
        from followups import services as followup_services
        from reporting import followups as reporting_followups
        from tests.schools.factories import SchoolFactory

        submit(world, deadline)
        extra = SchoolFactory.create_batch(3, bureau=world.bureau)
        FollowUp.objects.filter(kind=REPORT_DUE).delete()
        monkeypatch.setattr(followup_services, "OPEN_BATCH", 2)
        with CaptureQueriesContext(connection) as ctx:
            assert reporting_followups.arm_deadlines([deadline]) == 4
        sql = " ".join(q["sql"] for q in ctx.captured_queries)
        assert "NOT EXISTS" in sql
        assert "NOT IN" not in sql
        inserts = [q for q in ctx.captured_queries
                   if q["sql"].startswith('INSERT INTO "followups_followup"')]
        assert len(inserts) == 2  # 4 schools, batches of 2
        assert {r.school for r in FollowUp.objects.open().filter(kind=REPORT_DUE)} == {
            world.school_b, *extra}
        assert reporting_followups.arm_deadlines([deadline]) == 0  # idempotent

    def test_generating_the_calendar_opens_them_once(self, world):
        campaign = services.campaign_create(
            bureau=world.bureau, name="专项行动", start_month=dt.date(2026, 5, 1),
            end_date=dt.date(2026, 6, 30), school_types=["primary"])
        services.campaign_generate_deadlines(campaign=campaign)
        assert FollowUp.objects.filter(kind=REPORT_DUE).count() == 4 * 2

    def test_a_school_that_joins_the_campaign_owes_the_deadlines_and_one_that_leaves_does_not(
        self, world, deadline
    ):
        with time_machine.travel(shanghai("2026-05-08 09:00"), tick=False):
            world.school_b.in_campaign = False
            world.school_b.save()
            assert FollowUp.objects.open().filter(school=world.school_b).count() == 0
            world.school_b.in_campaign = True
            world.school_b.save()
            assert FollowUp.objects.open().filter(school=world.school_b).count() == 1

    def test_a_school_that_joins_after_a_deadline_does_not_owe_it(self, world, deadline):
        with time_machine.travel(shanghai("2026-05-08 09:00"), tick=False):
            world.school_b.in_campaign = False
            world.school_b.save()
        with time_machine.travel(shanghai("2026-05-14 09:00"), tick=False):
            world.school_b.in_campaign = True  # back the day after the deadline
            world.school_b.save()
        assert FollowUp.objects.open().filter(school=world.school_b).count() == 0


class TestReminders:
    def test_two_days_before_schools_that_have_not_submitted_are_reminded(self, world,
                                                                          deadline):
        scan_at("2026-05-11 08:00")
        assert recipients("reminder") == ["a-principal", "a-safety", "b-principal"]

    def test_nothing_is_said_a_minute_before_the_step_is_due(self, world, deadline):
        assert scan_at("2026-05-11 07:59").notices == 0

    def test_a_school_that_has_submitted_is_not_reminded(self, world, deadline):
        submit(world, deadline, at=shanghai("2026-05-10 09:00"))
        scan_at("2026-05-11 08:00")
        assert recipients("reminder") == ["b-principal"]

    def test_people_who_left_the_school_or_were_deactivated_are_not_reminded(self, world,
                                                                             deadline):
        Membership.objects.filter(user=world.principal).update(is_active=False)
        world.safety_officer.is_active = False
        world.safety_officer.save()
        scan_at("2026-05-11 08:00")
        assert recipients("reminder") == ["b-principal"]

    def test_a_principal_of_two_schools_is_reminded_about_each_school_apart(self, world,
                                                                            deadline):
        MembershipFactory(user=world.peer_principal, role=Role.PRINCIPAL,
                          school=world.school_a)
        scan_at("2026-05-11 08:00")
        mine = Notice.objects.filter(kind="reminder", recipient=world.peer_principal)
        assert sorted(n.context["school_name"] for n in mine) == ["乙小学", "甲小学"]

    def test_a_negative_reminder_day_is_ignored(self, world, campaign, settings):
        settings.REPORT_REMINDER_DAYS = [-2]
        DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
        assert scan_at("2026-05-14 08:00").notices == 3
        assert scan_at("2026-05-15 08:00").notices == 0
        assert recipients("reminder") == []

    def test_scanning_twice_creates_nothing_more(self, world, deadline):
        scan_at("2026-05-11 08:00")
        assert scan_at("2026-05-11 08:00").notices == 0
        assert scan_at("2026-05-11 09:30").notices == 0
        assert Notice.objects.count() == 3

    def test_on_the_day_a_second_reminder_goes_out(self, world, deadline):
        scan_at("2026-05-11 08:00")
        assert scan_at("2026-05-13 08:00").notices == 3

    def test_a_missed_scan_catches_up_with_one_reminder_not_two(self, world, deadline):
        scan_at("2026-05-12 08:00")  # the 2-day step fell due while nothing ran
        assert Notice.objects.filter(kind="reminder").count() == 3

    def test_closed_schools_are_not_reminded(self, world, deadline):
        world.school_b.is_open = False
        world.school_b.save()
        scan_at("2026-05-11 08:00")
        assert "b-principal" not in recipients("reminder")

    @pytest.mark.parametrize(("offsets", "expected"), [([3], True), ([1], False)])
    def test_the_reminder_days_are_configurable(self, world, campaign, settings, offsets,
                                                expected):
        settings.REPORT_REMINDER_DAYS = offsets
        DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
        scan_at("2026-05-10 08:00")  # three days before
        assert Notice.objects.filter(kind="reminder").exists() is expected

    def test_a_report_that_arrives_cancels_every_pending_reminder_for_it(self, world,
                                                                          deadline):
        scan_at("2026-05-11 08:00")
        submit(world, deadline, at=shanghai("2026-05-11 09:00"))
        statuses = dict(Notice.objects.filter(kind="reminder").values_list(
            "recipient__username", "status"))
        assert statuses == {"a-principal": "cancelled", "a-safety": "cancelled",
                            "b-principal": "pending"}
        assert scan_at("2026-05-13 08:00").notices == 1  # school B only

    def test_a_moved_deadline_is_re_armed_for_its_new_date_and_the_old_reminder_cancelled(
        self, world, deadline
    ):
        scan_at("2026-05-11 08:00")
        services.deadline_move(deadline=deadline, new_date=dt.date(2026, 5, 15),
                               reason="调休", by=world.bureau_admin,
                               at=shanghai("2026-05-11 10:00"))
        assert set(Notice.objects.filter(kind="reminder").values_list("status", flat=True)) \
            == {"cancelled"}
        # Nothing more is said for the 13th ...
        assert scan_at("2026-05-13 08:00").notices == 3  # ... but the 15th's 2-day reminder
        assert scan_at("2026-05-14 08:00").notices == 0  # not overdue on the old date
        assert scan_at("2026-05-15 08:00").notices == 3
        assert scan_at("2026-05-16 08:00").notices == 3
        assert Notice.objects.filter(kind="overdue").count() == 3


class TestOverdue:
    def test_the_morning_after_a_missed_deadline_the_principal_and_officer_are_told(
        self, world, deadline
    ):
        scan_at("2026-05-14 08:00")
        assert recipients("overdue") == ["a-principal", "a-safety", "b-principal"]

    def test_nothing_is_overdue_before_the_day_is_over(self, world, deadline):
        scan_at("2026-05-13 23:59")
        assert recipients("overdue") == []

    def test_the_overdue_notice_is_sent_once_however_many_days_the_catch_up_covers(
        self, world, deadline
    ):
        scan_at("2026-05-17 08:00")
        scan_at("2026-05-18 08:00")
        scan_at("2026-05-19 08:00")
        assert recipients("overdue") == ["a-principal", "a-safety", "b-principal"]
        assert recipients("reminder") == []

    def test_the_overdue_notice_on_two_different_days_is_still_one_notice(self, world,
                                                                          deadline):
        assert scan_at("2026-05-14 08:00").notices == 3
        second_day = scan_at("2026-05-15 08:00")
        # Nothing is left to tell: the rows are not even claimed again (the
        # dedupe key is the second line of defence, not the first).
        assert (second_day.claimed, second_day.notices) == (0, 0)
        assert recipients("overdue") == ["a-principal", "a-safety", "b-principal"]

    def test_a_deadline_missed_long_ago_wakes_nobody(self, world, deadline):
        assert scan_at("2026-06-30 08:00").notices == 0

    def test_a_late_report_cancels_the_overdue_notice_not_yet_sent(self, world, deadline):
        scan_at("2026-05-14 08:00")
        submit(world, deadline, at=shanghai("2026-05-14 09:00"))
        statuses = dict(Notice.objects.filter(kind="overdue").values_list(
            "recipient__username", "status"))
        assert statuses == {"a-principal": "cancelled", "a-safety": "cancelled",
                            "b-principal": "pending"}

    def test_each_recipient_reads_it_in_the_language_of_their_account(
        self, world, deadline, emails
    ):
        world.safety_officer.language = "en"
        world.safety_officer.save()
        scan_at("2026-05-14 08:00")
        deliver_due()
        by_person = {m.to[0]: m for m in mail.outbox}
        english = by_person[world.safety_officer.email]
        chinese = by_person[world.principal.email]
        assert "overdue" in english.subject.lower()
        assert "逾期" not in english.subject + english.body
        assert "逾期" in chinese.subject + chinese.body


class TestTheSchoolsGroup:
    def test_the_group_hears_each_reminder_and_the_overdue_notice_once(self, world,
                                                                       deadline):
        # Not once per person told, and not once for all the steps together.
        GroupRobot.objects.create(
            school=world.school_a, platform=GroupRobot.Platform.WECOM,
            webhook_url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K")
        for moment in ("2026-05-11 08:00", "2026-05-12 08:00", "2026-05-13 08:00",
                       "2026-05-13 09:00", "2026-05-14 08:00", "2026-05-15 08:00"):
            scan_at(moment)
        assert sorted(GroupMessage.objects.values_list("kind", flat=True)) == [
            "overdue", "reminder", "reminder"]


class TestTwoReportsDueTheSameDay:
    def test_the_recipient_gets_one_message_naming_both(self, world, campaign, emails):
        for kind in (DeadlineKind.PROGRESS, DeadlineKind.YEAR_END):
            DeadlineFactory(campaign=campaign, kind=kind, due_date=dt.date(2026, 12, 24))
        scan_at("2026-12-22 08:00")
        mine = Notice.objects.filter(recipient=world.principal)
        assert mine.count() == 1
        notice = mine.get()
        assert notice.context["deadline_kinds"] == ["progress", "year_end"]
        assert notice.context["path"] == reverse("reporting:school_reports",
                                                 args=[world.school_a.pk])
        assert "deadline_id" not in notice.context  # it is about both
        with time_machine.travel(shanghai("2026-12-22 08:01"), tick=False):
            deliver_due()
        notice.refresh_from_db()
        assert (notice.status, notice.last_error) == ("sent", "")
        message = next(m for m in mail.outbox if m.to == [world.principal.email])
        text = message.subject + message.body
        assert "半月进展报告" in text
        assert "年度工作总结" in text


class TestReturnedReports:
    def returned(self, world, deadline):
        report = submit(world, deadline, at=shanghai("2026-05-12 09:00"))
        return services.report_return(report=report, by=world.inspector, reason="请补充照片",
                                      at=shanghai("2026-05-14 10:00"))

    def test_a_returned_report_is_owed_again_within_three_days(self, world, deadline):
        report = self.returned(world, deadline)
        row = FollowUp.objects.open().get(kind=REPORT_RESUBMIT)
        assert (row.subject_code, row.due_at) == (str(report.code),
                                                  shanghai("2026-05-18 00:00"))
        todos = todos_for(world.safety_officer, at=shanghai("2026-05-14 11:00"))
        assert [t.link for t in todos] == [
            reverse("reporting:report_edit", args=[world.school_a.pk, deadline.pk])]
        assert "退回" in todos[0].title or "Returned" in todos[0].title

    def test_the_school_is_reminded_on_the_last_day(self, world, deadline):
        self.returned(world, deadline)
        reminded = Notice.objects.filter(kind="returned", key__startswith="followup:")
        scan_at("2026-05-17 07:59")
        assert not reminded.exists()
        scan_at("2026-05-17 08:00")
        assert sorted(reminded.values_list("recipient__username", flat=True)) == [
            "a-principal", "a-safety"]

    def test_resubmitting_settles_it(self, world, deadline):
        report = self.returned(world, deadline)
        services.report_submit(report=report, by=world.safety_officer,
                               at=shanghai("2026-05-15 09:00"))
        assert not FollowUp.objects.open().filter(kind=REPORT_RESUBMIT).exists()
        scan_at("2026-05-17 08:00")
        assert not Notice.objects.filter(kind="returned", key__startswith="followup:").exists()


class TestTodos:
    def test_the_workbench_lists_a_person_s_open_follow_ups_overdue_first(self, world,
                                                                          campaign):
        late = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 13))
        soon = DeadlineFactory(campaign=campaign, due_date=dt.date(2026, 5, 24))
        todos = todos_for(world.safety_officer, at=shanghai("2026-05-20 09:00"))
        assert [(t.followup.subject_code, t.is_overdue) for t in todos] == [
            (f"{late.pk}:{world.school_a.pk}", True),
            (f"{soon.pk}:{world.school_a.pk}", False)]
        assert todos[0].link == reverse("reporting:report_edit",
                                        args=[world.school_a.pk, late.pk])

    def test_people_without_the_kind_s_roles_see_nothing(self, world, deadline):
        moment = shanghai("2026-05-12 09:00")
        assert todos_for(world.head_teacher, at=moment) == []
        assert todos_for(world.inspector, at=moment) == []
        assert [t.followup.school for t in todos_for(world.peer_principal, at=moment)] == [
            world.school_b]

    def test_a_submitted_report_leaves_the_list(self, world, deadline):
        submit(world, deadline, at=shanghai("2026-05-12 09:00"))
        assert todos_for(world.safety_officer, at=shanghai("2026-05-12 10:00")) == []
