"""The edges of the dispute-screening and bullying rules (issue 10 items 3, 4
and 7): the boundary days of due dates, marks and clocks, the bureau's
filters, suppression of every table, the audit rows of the head teacher's
pages, and the transitions that must not exist. Each is a boundary that a
mutation pass found no other test holding."""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from core.workflows import InvalidTransition
from followups.models import FollowUp
from followups.services import scan
from incidents import bullying, dispute_counts, disputes
from incidents.bullying import Involved
from incidents.counts import referral_counts
from incidents.followup_kinds import (
    BULLYING_SUPPORT,
    DISPUTE_RETURN,
    _bullying_link,
    dispute_subject_code,
)
from notifications.models import Notice
from schools.models import Membership, School
from schools.school_year import current_school_year
from tests.conftest import shanghai, sign_in
from tests.schools.factories import SchoolClassFactory
from tests.schools.pupil_factories import PupilFactory

pytestmark = pytest.mark.django_db
NOW = shanghai("2026-11-20 12:00")
NOVEMBER, OCTOBER = dt.date(2026, 11, 1), dt.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield




def add(w, *, month=NOVEMBER, found_on=dt.date(2026, 11, 10), risk="medium", school=None, by=None):
    return disputes.dispute_add(school=school or w.school_a, month=month, by=by or w.safety_officer,
                                kind="home_school", parties="家长与班主任", summary="作业",
                                risk=risk, responsible_id=(by or w.safety_officer).pk,
                                found_on=found_on)


# ------------------------------------------------------------------ disputes
def test_a_return_filed_on_its_due_day_is_not_late(district):
    disputes.dispute_return_submit(school=district.school_a, month=OCTOBER, by=district.principal,
                                   none_found=True, at=shanghai("2026-10-31 23:00"))
    rows = {r.month: r for r in disputes.school_months(district.school_a)}
    assert rows[OCTOBER].late is False


def test_the_bureau_marks_a_return_filed_on_its_due_day_on_time(district):
    disputes.dispute_return_submit(school=district.school_a, month=OCTOBER, by=district.principal,
                                   none_found=True, at=shanghai("2026-10-31 23:00"))
    data = dispute_counts.dispute_completeness(bureau_id=district.bureau.pk, year=2026)
    marks = dict(dispute_counts.school_marks([district.school_a], months=data.months))
    assert marks[district.school_a][9] == "on_time"


def test_a_day_of_a_later_month_is_refused_for_an_earlier_return(district):
    with pytest.raises(ValidationError) as refused:
        add(district, month=OCTOBER, found_on=dt.date(2026, 11, 5))
    assert "found_on" in refused.value.message_dict


def test_a_due_day_change_leaves_last_months_follow_up_alone(district):
    disputes.arm_dispute_returns()
    disputes.dispute_schedule_set(bureau=district.bureau, due_day=5, by=district.bureau_admin)
    row = FollowUp.objects.get(kind=DISPUTE_RETURN, subject_code=dispute_subject_code(
        district.school_a.pk, OCTOBER))
    assert row.due_at == shanghai("2026-11-01 00:00")


def test_another_bureaus_return_is_not_counted(district):
    disputes.dispute_return_submit(school=district.school_c, month=OCTOBER,
                                   by=district.foreign_principal, none_found=True,
                                   at=shanghai("2026-10-30 09:00"))
    data = dispute_counts.dispute_completeness(bureau_id=district.bureau.pk, year=2026)
    october = {m.month: m for m in data.months}[OCTOBER]
    assert (october.owed, october.on_time, october.missing) == (2, 0, 2)


def test_no_filing_rate_before_the_due_date(district):
    disputes.dispute_return_submit(school=district.school_a, month=NOVEMBER,
                                   by=district.principal, none_found=True)
    data = dispute_counts.dispute_completeness(bureau_id=district.bureau.pk, year=2026)
    assert {m.month: m for m in data.months}[NOVEMBER].rate is None


def test_the_risk_table_is_suppressed(district):
    for _ in range(3):
        add(district, risk="low")
    data = dispute_counts.dispute_completeness(bureau_id=district.bureau.pk, year=2026)
    assert "<5" in [c.shown for row in data.by_risk.cells for c in row]


def test_a_return_is_not_missing_on_its_due_day(district):
    data = dispute_counts.dispute_completeness(bureau_id=district.bureau.pk, year=2026,
                                               at=shanghai("2026-11-30 12:00"))
    november = {m.month: m for m in data.months}[NOVEMBER]
    assert (november.missing, november.pending) == (0, 2)


def test_a_return_is_not_overdue_on_its_due_day(district):
    rows = {r.month: r for r in disputes.school_months(district.school_a,
                                                       today=dt.date(2026, 11, 30))}
    assert rows[NOVEMBER].overdue is False


def test_no_reminder_the_day_before_the_due_day(district):
    disputes.arm_dispute_returns()
    before = shanghai("2026-11-29 08:01")
    with time_machine.travel(before, tick=False):
        scan(at=before)
    assert not Notice.objects.filter(kind="incidents.dispute_reminder", subject_code=
                                     dispute_subject_code(district.school_a.pk, NOVEMBER)).exists()


def test_a_dispute_may_be_settled_on_the_day_it_was_found(district):
    dispute = add(district)
    settled = disputes.dispute_settle(dispute=dispute, name="resolve", on=dispute.found_on,
                                      by=district.principal)
    assert settled.status == "resolved"


def test_a_dispute_found_on_the_first_is_not_carried_over(district):
    add(district, found_on=NOVEMBER)
    assert not list(disputes.carried_over(district.school_a, NOVEMBER))


def test_a_dispute_resolved_on_the_first_is_carried_over(district):
    dispute = add(district, month=OCTOBER, found_on=dt.date(2026, 10, 10))
    disputes.dispute_settle(dispute=dispute, name="resolve", on=NOVEMBER, by=district.principal)
    assert [d.pk for d in disputes.carried_over(district.school_a, NOVEMBER)] == [dispute.pk]


def test_a_school_closed_before_the_due_date_is_marked_not_owed(district):
    School.objects.filter(pk=district.school_b.pk).update(is_open=False,
                                                          closed_on=dt.date(2026, 10, 20))
    school_b = School.objects.get(pk=district.school_b.pk)
    data = dispute_counts.dispute_completeness(bureau_id=district.bureau.pk, year=2026)
    marks = dict(dispute_counts.school_marks([school_b], months=data.months))
    assert marks[school_b][9] == "not_owed"


# ------------------------------------------------------------------ bullying
BNOW = shanghai("2026-11-16 10:00")


@pytest.fixture
def bschool(people):
    with time_machine.travel(BNOW, tick=False):
        cls = SchoolClassFactory(school=people.school_a, grade=7, number=3,
                                 school_year=current_school_year())
        Membership.objects.get(user=people.head_teacher, school=people.school_a).classes.add(cls)
        people.cls = cls
        people.target = PupilFactory(school=people.school_a, current_class=cls, name="甲生")
        yield people


def _case(w, school=None, by=None, cls=None, name="甲生"):
    return bullying.bullying_report(
        school=school or w.school_a, by=by or w.safety_officer, reporter="staff",
        reported_at=BNOW - dt.timedelta(hours=1), acts=["dignity"], description="经过",
        involved=[Involved((cls or w.cls).pk, name, "target")], at=BNOW)


def _investigate(w, case):
    bullying.bullying_record_stop(case=case, stopped_at=BNOW - dt.timedelta(minutes=30),
                                  safety_measures="分开", by=w.safety_officer, at=BNOW)
    return bullying.bullying_start_investigation(case=case, by=w.safety_officer, at=BNOW)


def _decide(w, case, at, **changes):
    fields = dict(committee_on=dt.date(2026, 11, 16), committee_members="校长等",
                  is_bullying=True, finding="构成", severity="minor", measures=["education"])
    fields.update(changes)
    return bullying.bullying_decide(case=case, by=w.principal, at=at, **fields)


def test_the_recheck_counts_are_suppressed(bschool):
    case = _decide(bschool, _investigate(bschool, _case(bschool)), shanghai("2026-11-17 10:00"))
    case = bullying.bullying_appeal(case=case, appealed_on=dt.date(2026, 11, 18),
                                    by=bschool.principal, at=shanghai("2026-11-18 10:00"))
    bullying.bullying_transition(case=case, name="recheck", by=bschool.principal, reason="维持",
                                 at=shanghai("2026-11-19 10:00"))
    counts = referral_counts(bureau_id=bschool.bureau.pk, year=2026).bullying
    assert counts.recheck.cells[0][0].shown == "<5"


def test_another_bureaus_cases_are_not_counted(bschool):
    cls = SchoolClassFactory(school=bschool.school_c, school_year=current_school_year())
    PupilFactory(school=bschool.school_c, current_class=cls, name="丙生")
    _case(bschool, school=bschool.school_c, by=bschool.foreign_principal, cls=cls, name="丙生")
    counts = referral_counts(bureau_id=bschool.bureau.pk, year=2026).bullying
    assert counts.by_state.row_totals[0].value == 0


def test_a_case_decided_at_the_due_instant_is_in_time(bschool):
    case = _investigate(bschool, _case(bschool))
    _decide(bschool, case, case.investigation_due_at)
    counts = referral_counts(bureau_id=bschool.bureau.pk, year=2026).bullying
    assert counts.investigation.cells[0][0].value == 1


def test_an_undecided_case_past_the_due_instant_is_overdue(bschool):
    case = _investigate(bschool, _case(bschool))
    counts = referral_counts(bureau_id=bschool.bureau.pk, year=2026,
                             at=case.investigation_due_at + dt.timedelta(hours=1)).bullying
    assert counts.investigation.cells[0][2].value == 1


def test_the_head_teachers_pages_are_audit_rows(client, bschool):
    case = _case(bschool)
    sign_in(client, bschool.head_teacher, verified=True)
    assert client.get(reverse("incidents:bullying_status", args=[case.code])).status_code == 200
    assert AuditEvent.objects.filter(action="record.view", target_code=str(case.code),
                                     user=bschool.head_teacher).count() == 1
    assert client.get(reverse("incidents:bullying_classes")).status_code == 200
    assert AuditEvent.objects.filter(action="record.view", target_code=str(case.code),
                                     user=bschool.head_teacher).count() == 2


def test_a_visit_may_be_due_today(bschool):
    case = _case(bschool)
    with time_machine.travel(BNOW, tick=False):
        row = bullying.bullying_schedule_visit(case=case, assignee_id=bschool.head_teacher.pk,
                                               due_on=dt.date(2026, 11, 16), by=bschool.principal,
                                               at=BNOW)
    assert row.pk


def test_a_closed_case_takes_no_stop_record(bschool):
    case = _decide(bschool, _investigate(bschool, _case(bschool)), shanghai("2026-11-17 10:00"),
                   is_bullying=False, severity="", measures=[])
    case = bullying.bullying_transition(case=case, name="close", by=bschool.principal,
                                        reason="结案")
    with pytest.raises(ValidationError):
        bullying.bullying_record_stop(case=case, stopped_at=BNOW, safety_measures="x",
                                      by=bschool.safety_officer)


def test_a_case_under_recheck_cannot_be_closed(bschool):
    case = _decide(bschool, _investigate(bschool, _case(bschool)), shanghai("2026-11-17 10:00"))
    case = bullying.bullying_appeal(case=case, appealed_on=dt.date(2026, 11, 18),
                                    by=bschool.principal, at=shanghai("2026-11-18 10:00"))
    with pytest.raises(InvalidTransition):
        bullying.bullying_transition(case=case, name="close", by=bschool.principal, reason="结案")


def test_the_support_task_links_to_the_counselors_page(bschool):
    case = _case(bschool)
    row = FollowUp.objects.get(kind=BULLYING_SUPPORT, subject_code=str(case.code))
    assert _bullying_link(row) == reverse("incidents:bullying_support", args=[case.code])


def test_not_bullying_keeps_no_severity_or_measures(bschool):
    case = _decide(bschool, _investigate(bschool, _case(bschool)), shanghai("2026-11-17 10:00"),
                   is_bullying=False, severity="serious", measures=["discipline"])
    assert (case.severity, case.measures) == ("", [])


def test_a_safety_officer_who_is_not_a_lead_records_no_case(bschool):
    from django.core.exceptions import PermissionDenied

    from schools.models import Role
    from tests.schools.factories import school_member

    other = school_member(bschool.school_a, Role.SAFETY_OFFICER)
    with pytest.raises(PermissionDenied):
        _case(bschool, by=other)
