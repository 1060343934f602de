"""The monthly dispute screening (矛盾纠纷排查; the plan's 三.三(四); issue 10
item 4): each school files a return a month — the disputes found, by role
never by name, with their risk, the person responsible and the mediation —
or says that none were found, by the bureau's due day; the return's
follow-up reminds on the due day and tells of it overdue the morning after,
once each, and stops when it is filed."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from core.workflows import InvalidTransition
from followups.models import FollowUp
from followups.services import scan
from incidents import disputes
from incidents.followup_kinds import DISPUTE_RETURN, dispute_subject_code
from incidents.models import (
    Dispute,
    DisputeReturn,
    DisputeSchedule,
    DisputeTransition,
    MediationStatus,
)
from notifications.models import Notice
from schools.models import School
from tests.conftest import shanghai
from tests.schools.factories import SchoolFactory

pytestmark = pytest.mark.django_db

NOW = shanghai("2026-11-20 12:00")
NOVEMBER, OCTOBER = dt.date(2026, 11, 1), dt.date(2026, 10, 1)
PARTIES = "金丝雀家长与班主任"  # a canary: never in a notice, an audit row or a bureau page


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield




def add(world, *, by=None, month=NOVEMBER, found_on=dt.date(2026, 11, 10), **changes):
    fields = {"kind": "home_school", "parties": PARTIES, "summary": "对作业量有意见",
              "risk": "medium", "responsible_id": world.safety_officer.pk}
    fields.update(changes)
    return disputes.dispute_add(school=world.school_a, month=month,
                                by=by or world.safety_officer, found_on=found_on, **fields)


class TestTheDueDay:
    @pytest.mark.parametrize(("month", "day", "due"), [
        (dt.date(2026, 11, 1), 0, dt.date(2026, 11, 30)),
        (dt.date(2028, 2, 1), 0, dt.date(2028, 2, 29)),
        (dt.date(2026, 11, 1), 5, dt.date(2026, 12, 5)),
        (dt.date(2026, 12, 1), 28, dt.date(2027, 1, 28)),
    ])
    def test_the_last_day_of_the_month_or_a_day_of_the_next(self, month, day, due):
        assert disputes.due_date(month, day) == due

    def test_a_return_is_on_time_until_the_end_of_its_due_day_in_shanghai(self):
        assert disputes.due_at(NOVEMBER, 0) == shanghai("2026-12-01 00:00")

    def test_the_bureau_admin_sets_it_and_open_returns_move_with_it(self, district):
        disputes.arm_dispute_returns()
        row = FollowUp.objects.get(kind=DISPUTE_RETURN, subject_code=dispute_subject_code(
            district.school_a.pk, NOVEMBER))
        disputes.dispute_schedule_set(bureau=district.bureau, due_day=5,
                                      by=district.bureau_admin)
        row.refresh_from_db()
        assert row.due_at == shanghai("2026-12-06 00:00")
        assert disputes.due_day_of(district.bureau.pk) == 5
        assert disputes.due_day_of(district.other_bureau.pk) == 0  # its own, untouched
        assert AuditEvent.objects.filter(action="dispute_schedule.set").count() == 1

    def test_a_change_applies_from_this_month_and_leaves_past_months_alone(self, district):
        # October's return, filed on 3 November: late under "the last day".
        disputes.dispute_return_submit(school=district.school_a, month=OCTOBER,
                                       by=district.principal, none_found=True,
                                       at=shanghai("2026-11-03 09:00"))
        disputes.dispute_schedule_set(bureau=district.bureau, due_day=5,
                                      by=district.bureau_admin)
        assert disputes.due_day_of(district.bureau.pk, OCTOBER) == 0
        assert disputes.due_day_of(district.bureau.pk, NOVEMBER) == 5
        rows = {row.month: row for row in disputes.school_months(district.school_a)}
        assert rows[OCTOBER].due == dt.date(2026, 10, 31)
        assert rows[OCTOBER].late is True
        assert rows[NOVEMBER].due == dt.date(2026, 12, 5)

    def test_setting_it_twice_in_a_month_keeps_the_last(self, district):
        for day in (5, 10):
            disputes.dispute_schedule_set(bureau=district.bureau, due_day=day,
                                          by=district.bureau_admin)
        assert DisputeSchedule.objects.count() == 1
        assert disputes.due_day_of(district.bureau.pk) == 10

    @pytest.mark.parametrize("day", [-1, 29, 31, "x", None])
    def test_a_day_every_month_does_not_have_is_refused(self, district, day):
        with pytest.raises(ValidationError) as refused:
            disputes.dispute_schedule_set(bureau=district.bureau, due_day=day,
                                          by=district.bureau_admin)
        assert "due_day" in refused.value.message_dict
        assert not DisputeSchedule.objects.exists()

    def test_nobody_but_the_bureau_admin_sets_it(self, district):
        for who in (district.inspector, district.principal):
            with pytest.raises(PermissionDenied):
                disputes.dispute_schedule_set(bureau=district.bureau, due_day=5, by=who)
        with pytest.raises(PermissionDenied):  # another district's admin
            disputes.dispute_schedule_set(bureau=district.other_bureau, due_day=5,
                                          by=district.bureau_admin)

    def test_the_database_refuses_a_day_past_28(self, district):
        with pytest.raises(IntegrityError), transaction.atomic():
            DisputeSchedule.objects.create(bureau=district.bureau, due_day=29)


class TestArming:
    def test_every_school_owes_this_month_and_the_last_once(self, district):
        assert disputes.arm_dispute_returns() == 6  # three schools, two months
        assert disputes.arm_dispute_returns() == 0  # the nightly run again: nothing new
        row = FollowUp.objects.get(subject_code=dispute_subject_code(district.school_a.pk,
                                                                     OCTOBER))
        assert row.due_at == shanghai("2026-11-01 00:00")
        assert row.data == {"month": "2026-10"}

    def test_the_nightly_task_arms_them(self, district):
        from incidents.tasks import arm_dispute_returns

        assert arm_dispute_returns.apply().get() == {"opened": 6}
        assert arm_dispute_returns.apply().get() == {"opened": 0}

    def test_a_school_that_joined_mid_month_owes_from_the_next(self, district, world):
        late = SchoolFactory(bureau=world.bureau)
        School.objects.filter(pk=late.pk).update(joined_on=dt.date(2026, 10, 15))
        disputes.arm_dispute_returns(school_ids=[late.pk])
        assert set(FollowUp.objects.filter(school=late).values_list(
            "subject_code", flat=True)) == {dispute_subject_code(late.pk, NOVEMBER)}

    def test_a_school_closed_before_the_due_date_owes_nothing(self, district):
        School.objects.filter(pk=district.school_b.pk).update(
            is_open=False, closed_on=dt.date(2026, 10, 20))
        disputes.arm_dispute_returns()
        assert not FollowUp.objects.filter(school=district.school_b).exists()

    def test_a_filed_return_is_not_armed_again(self, district):
        disputes.dispute_return_submit(school=district.school_a, month=OCTOBER,
                                       by=district.principal, none_found=True)
        disputes.arm_dispute_returns()
        assert not FollowUp.objects.filter(subject_code=dispute_subject_code(
            district.school_a.pk, OCTOBER)).exists()


class TestRecordingDisputes:
    def test_the_safety_officer_records_one_in_the_months_draft(self, district):
        dispute = add(district)
        assert dispute.status == MediationStatus.MEDIATING
        screening = dispute.screening_return
        assert (screening.month, screening.is_submitted) == (NOVEMBER, False)
        event = AuditEvent.objects.get(action="dispute.add")
        assert event.target_code == str(dispute.code)
        assert PARTIES not in str(event.__dict__)

    @pytest.mark.parametrize(("change", "field"), [
        ({"kind": "fight"}, "kind"),
        ({"risk": "extreme"}, "risk"),
        ({"parties": "  "}, "parties"),
        ({"parties": "学生" * 101}, "parties"),
        ({"summary": ""}, "summary"),
        ({"summary": "身份证 110101201001011234 的学生"}, "summary"),
        ({"parties": "11010120100101123X 与其父"}, "parties"),
        ({"found_on": dt.date(2026, 10, 31)}, "found_on"),  # October's return
        ({"found_on": dt.date(2026, 11, 21)}, "found_on"),  # tomorrow
        ({"found_on": None}, "found_on"),
    ])
    def test_bad_input_is_refused_field_by_field(self, district, change, field):
        with pytest.raises(ValidationError) as refused:
            add(district, **change)
        assert field in refused.value.message_dict
        assert not Dispute.objects.exists()

    def test_the_responsible_person_is_one_of_the_schools_staff(self, district):
        with pytest.raises(ValidationError) as refused:
            add(district, responsible_id=district.peer_principal.pk)
        assert "responsible" in refused.value.message_dict

    def test_a_month_not_yet_begun_or_before_the_school_joined_is_refused(self, district):
        for month in (dt.date(2026, 12, 1), dt.date(2025, 12, 1)):
            with pytest.raises(ValidationError) as refused:
                add(district, month=month, found_on=month)
            assert "month" in refused.value.message_dict

    def test_only_the_principal_and_the_safety_officer_record(self, district):
        for who in (district.head_teacher, district.counselor, district.staff,
                    district.inspector, district.peer_principal):
            with pytest.raises(PermissionDenied):
                add(district, by=who)
        assert add(district, by=district.principal)

    def test_a_filed_return_takes_no_more(self, district):
        add(district)
        disputes.dispute_return_submit(school=district.school_a, month=NOVEMBER,
                                       by=district.principal)
        with pytest.raises(ValidationError) as refused:
            add(district)
        assert "month" in refused.value.message_dict
        assert Dispute.objects.count() == 1


class TestFiling:
    def test_with_its_disputes(self, district):
        disputes.arm_dispute_returns()
        add(district)
        screening = disputes.dispute_return_submit(school=district.school_a, month=NOVEMBER,
                                                   by=district.principal)
        assert screening.is_submitted
        assert not screening.none_found
        row = FollowUp.objects.get(subject_code=dispute_subject_code(district.school_a.pk,
                                                                     NOVEMBER))
        assert (row.state, row.outcome) == ("done", "filed")
        assert AuditEvent.objects.filter(action="dispute_return.submit",
                                         target_code=str(screening.code)).exists()

    def test_none_found_is_said_in_so_many_words(self, district):
        with pytest.raises(ValidationError) as refused:
            disputes.dispute_return_submit(school=district.school_a, month=NOVEMBER,
                                           by=district.principal)
        assert "none_found" in refused.value.message_dict
        screening = disputes.dispute_return_submit(school=district.school_a, month=NOVEMBER,
                                                   by=district.principal, none_found=True)
        assert screening.none_found

    def test_none_found_with_disputes_recorded_is_a_contradiction(self, district):
        add(district)
        with pytest.raises(ValidationError) as refused:
            disputes.dispute_return_submit(school=district.school_a, month=NOVEMBER,
                                           by=district.principal, none_found=True)
        assert "none_found" in refused.value.message_dict
        assert not DisputeReturn.objects.get().is_submitted

    def test_once_only(self, district):
        disputes.dispute_return_submit(school=district.school_a, month=NOVEMBER,
                                       by=district.principal, none_found=True)
        with pytest.raises(ValidationError) as refused:
            disputes.dispute_return_submit(school=district.school_a, month=NOVEMBER,
                                           by=district.safety_officer, none_found=True)
        assert "month" in refused.value.message_dict

    def test_nobody_else_files(self, district):
        for who in (district.head_teacher, district.inspector, district.peer_principal):
            with pytest.raises(PermissionDenied):
                disputes.dispute_return_submit(school=district.school_a, month=NOVEMBER,
                                               by=who, none_found=True)

    def test_the_database_refuses_none_found_on_a_draft(self, district):
        with pytest.raises(IntegrityError), transaction.atomic():
            DisputeReturn.objects.create(school=district.school_a, month=NOVEMBER,
                                         none_found=True)

    def test_the_database_refuses_a_month_that_is_not_a_first_day(self, district):
        with pytest.raises(IntegrityError), transaction.atomic():
            DisputeReturn.objects.create(school=district.school_a, month=dt.date(2026, 11, 2))


class TestMediation:
    def test_resolved_with_its_date_and_a_transition_row(self, district):
        dispute = add(district)
        settled = disputes.dispute_settle(dispute=dispute, name="resolve",
                                          on=dt.date(2026, 11, 18), by=district.principal)
        assert (settled.status, settled.resolved_on) == ("resolved", dt.date(2026, 11, 18))
        transition = DisputeTransition.objects.get()
        assert (transition.from_state, transition.to_state, transition.actor) == (
            "mediating", "resolved", district.principal)
        assert AuditEvent.objects.filter(action="dispute.resolve").exists()

    def test_transferred_names_the_body(self, district):
        dispute = add(district)
        with pytest.raises(ValidationError) as refused:
            disputes.dispute_settle(dispute=dispute, name="transfer", on=dt.date(2026, 11, 18),
                                    by=district.principal)
        assert "transferred_to" in refused.value.message_dict
        settled = disputes.dispute_settle(dispute=dispute, name="transfer",
                                          on=dt.date(2026, 11, 18), transferred_to="镇调解委员会",
                                          by=district.principal)
        assert (settled.status, settled.transferred_to) == ("transferred", "镇调解委员会")

    @pytest.mark.parametrize("on", [dt.date(2026, 11, 9), dt.date(2026, 11, 21), None])
    def test_a_date_before_it_was_found_or_in_the_future_is_refused(self, district, on):
        dispute = add(district)
        with pytest.raises(ValidationError) as refused:
            disputes.dispute_settle(dispute=dispute, name="resolve", on=on,
                                    by=district.principal)
        assert "on" in refused.value.message_dict

    def test_a_settled_dispute_stays_settled(self, district):
        dispute = add(district)
        disputes.dispute_settle(dispute=dispute, name="resolve", on=dt.date(2026, 11, 18),
                                by=district.principal)
        with pytest.raises(InvalidTransition):
            disputes.dispute_settle(dispute=dispute, name="transfer", on=dt.date(2026, 11, 19),
                                    transferred_to="派出所", by=district.principal)

    def test_only_the_schools_filers_settle(self, district):
        dispute = add(district)
        for who in (district.head_teacher, district.peer_principal, district.inspector):
            with pytest.raises(PermissionDenied):
                disputes.dispute_settle(dispute=dispute, name="resolve",
                                        on=dt.date(2026, 11, 18), by=who)

    def test_the_database_refuses_a_status_without_its_dates(self, district):
        dispute = add(district)
        with pytest.raises(IntegrityError), transaction.atomic():
            Dispute.objects.filter(pk=dispute.pk).update(status="resolved")

    def test_a_filed_months_disputes_are_still_mediated(self, district):
        dispute = add(district)
        disputes.dispute_return_submit(school=district.school_a, month=NOVEMBER,
                                       by=district.principal)
        settled = disputes.dispute_settle(dispute=dispute, name="resolve",
                                          on=dt.date(2026, 11, 20), by=district.safety_officer)
        assert settled.status == "resolved"


class TestTheNotices:
    """The return's follow-up: 08:00 on the due day, the reminder; 08:00 the
    morning after, the overdue notice; each once, to the principal and the
    safety officer, naming the school and the month and nothing found."""

    def test_reminded_on_the_due_day_then_overdue_once_each(self, district):
        disputes.arm_dispute_returns()
        add(district)  # recorded but not filed: the reminder names no dispute
        due_morning = shanghai("2026-11-30 08:01")
        with time_machine.travel(due_morning, tick=False):
            for _ in range(2):
                scan(at=due_morning)
        reminders = Notice.objects.filter(kind="incidents.dispute_reminder",
                                          recipient__in=[district.principal,
                                                         district.safety_officer])
        assert reminders.count() == 2
        after = shanghai("2026-12-01 08:01")
        with time_machine.travel(after, tick=False):
            for _ in range(2):
                scan(at=after)
        overdue = Notice.objects.filter(kind="incidents.dispute_overdue",
                                        subject_code=dispute_subject_code(
                                            district.school_a.pk, NOVEMBER))
        assert set(overdue.values_list("recipient__username", flat=True)) == {
            "a-principal", "a-safety"}
        assert not Notice.objects.filter(context__icontains=PARTIES).exists()
        assert not Notice.objects.filter(recipient=district.head_teacher).exists()

    def test_filed_in_time_means_no_overdue_notice(self, district):
        disputes.arm_dispute_returns()
        disputes.dispute_return_submit(school=district.school_a, month=NOVEMBER,
                                       by=district.principal, none_found=True)
        scan(at=shanghai("2026-12-01 08:01"))
        assert not Notice.objects.filter(
            kind__startswith="incidents.dispute",
            subject_code=dispute_subject_code(district.school_a.pk, NOVEMBER)).exists()

    def test_the_email_names_the_school_month_and_due_date_only(self, district, settings):
        from notifications.services import deliver_due

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        type(district.principal).objects.filter(pk=district.principal.pk).update(
            email="principal@a.example.org")
        district.principal.refresh_from_db()
        disputes.arm_dispute_returns()
        add(district)
        when = shanghai("2026-12-01 08:01")
        with time_machine.travel(when, tick=False):
            scan(at=when)
            deliver_due(now=when)
        message = next(m for m in mail.outbox if district.principal.email in m.to)
        assert "甲小学" in message.subject
        assert "2026-11" in message.subject
        assert "2026" in message.body
        assert PARTIES not in message.body
        assert "作业" not in message.body
