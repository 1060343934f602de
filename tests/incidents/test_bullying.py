"""Bullying cases (学生欺凌; issue 10 item 3; domain.md §2d): a lead records
the report and the pupils involved; it is stopped and made safe before the
committee investigates (10 days on the follow-up engine); both families are
told; the committee decides, with severity and measures for bullying; a
guardian's appeal is re-checked within 15 days; the counselor gives support
(a follow-up told at once); head teachers get visits; a serious case links
to its referral; the chronology is only added to. Only the leads and the
principal work a case; no pupil's name reaches a notice or an audit row."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from core.workflows import InvalidTransition
from followups.models import FollowUp
from followups.services import scan
from incidents import bullying, services
from incidents.bullying import Involved
from incidents.followup_kinds import (
    BULLYING_INVESTIGATION,
    BULLYING_RECHECK,
    BULLYING_SUPPORT,
    BULLYING_VISIT,
)
from incidents.models import BullyingCase, BullyingEntry, BullyingState, BullyingTransition
from notifications.models import Notice
from schools.models import Membership, Role
from schools.school_year import current_school_year
from tests.conftest import shanghai
from tests.schools.factories import SchoolClassFactory, school_member
from tests.schools.pupil_factories import PupilFactory

pytestmark = pytest.mark.django_db

NOW = shanghai("2026-11-16 10:00")  # a Monday
TARGET, OTHER = "金丝雀被欺凌", "金丝雀实施者"


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def school(people):
    """The people of tests.incidents.conftest, with a class 7(3) of A led by
    the head teacher, its pupils TARGET and OTHER, and A's counselor."""
    cls = SchoolClassFactory(school=people.school_a, grade=7, number=3,
                             school_year=current_school_year())
    Membership.objects.get(user=people.head_teacher, school=people.school_a).classes.add(cls)
    people.cls = cls
    people.target = PupilFactory(school=people.school_a, current_class=cls, name=TARGET)
    people.other = PupilFactory(school=people.school_a, current_class=cls, name=OTHER)
    return people


def report(world, *, by=None, involved=None, **changes):
    fields = {"reporter": "guardian", "reported_at": NOW - dt.timedelta(hours=1),
              "acts": ["physical", "property"], "description": "课间在厕所被推搡并被索要零花钱",
              "occurred_on": dt.date(2026, 11, 13), "place": "教学楼二楼厕所"}
    fields.update(changes)
    involved = involved if involved is not None else [
        Involved(world.cls.pk, TARGET, "target"), Involved(world.cls.pk, OTHER, "perpetrator")]
    return bullying.bullying_report(school=world.school_a, by=by or world.safety_officer,
                                    involved=involved, **fields)


def stop(world, case, **kwargs):
    return bullying.bullying_record_stop(case=case, stopped_at=NOW - dt.timedelta(minutes=50),
                                         safety_measures="已分开座位，课间安排教师值守",
                                         by=world.safety_officer, **kwargs)


def investigate(world, case, at=NOW):
    stop(world, case)
    return bullying.bullying_start_investigation(case=case, by=world.safety_officer, at=at)


def decide(world, case, *, at=None, **changes):
    fields = {"committee_on": dt.date(2026, 11, 20),
              "committee_members": "校长、法治副校长、家长代表", "is_bullying": True,
              "finding": "构成欺凌", "severity": "serious",
              "measures": ["education", "discipline"]}
    fields.update(changes)
    return bullying.bullying_decide(case=case, by=world.principal,
                                    at=at or shanghai("2026-11-20 16:00"), **fields)


class TestTheReport:
    def test_a_lead_records_it_with_the_pupils_and_the_counselor_is_asked_at_once(
            self, school):
        counselor = school.counselor
        case = report(school)
        assert case.state == BullyingState.REPORTED
        assert {(p.pupil.name, p.role) for p in case.parties.all()} == {
            (TARGET, "target"), (OTHER, "perpetrator")}
        support = FollowUp.objects.get(kind=BULLYING_SUPPORT, subject_code=str(case.code))
        assert support.due_at == NOW + dt.timedelta(days=2)
        scan(at=NOW)
        told = Notice.objects.get(kind="incidents.bullying")
        assert told.recipient == counselor
        assert TARGET not in str(told.context)
        assert OTHER not in str(told.context)

    @pytest.mark.parametrize(("change", "field"), [
        ({"reporter": "robot"}, "reporter"),
        ({"acts": []}, "acts"),
        ({"acts": ["biting"]}, "acts"),
        ({"description": " "}, "description"),
        ({"description": "身份证110101201001011234"}, "description"),
        ({"reported_at": NOW + dt.timedelta(hours=1)}, "reported_at"),
        ({"occurred_on": dt.date(2026, 11, 17)}, "occurred_on"),
    ])
    def test_bad_input_is_refused_field_by_field(self, school, change, field):
        with pytest.raises(ValidationError) as refused:
            report(school, **change)
        assert field in refused.value.message_dict
        assert not BullyingCase.objects.exists()

    def test_the_pupils_must_be_found_on_the_roll_and_the_bullied_one_named(self, school):
        cases = [
            [Involved(school.cls.pk, "不存在的学生", "target")],
            [Involved(None, TARGET, "target")],
            [Involved(school.cls.pk, TARGET, "perpetrator")],  # nobody bullied
            [Involved(school.cls.pk, TARGET, "target"), Involved(school.cls.pk, TARGET,
                                                                 "bystander")],
            [Involved(school.cls.pk, TARGET, "victim")],
            [],
        ]
        for involved in cases:
            with pytest.raises(ValidationError) as refused:
                report(school, involved=involved)
            assert "parties" in refused.value.message_dict
        assert not BullyingCase.objects.exists()

    def test_a_class_of_another_school_finds_nobody(self, school):
        elsewhere = SchoolClassFactory(school=school.school_b, school_year=current_school_year())
        PupilFactory(school=school.school_b, current_class=elsewhere, name="别校学生")
        with pytest.raises(ValidationError):
            report(school, involved=[Involved(elsewhere.pk, "别校学生", "target")])

    def test_only_the_leads_and_the_principal_record_one(self, school):
        for who in (school.head_teacher, school.counselor, school.staff, school.inspector,
                    school.peer_principal):
            with pytest.raises(PermissionDenied):
                report(school, by=who)
        assert report(school, by=school.principal)

    def test_the_audit_row_carries_the_code_only(self, school):
        case = report(school)
        event = AuditEvent.objects.get(action="bullying.report")
        assert event.target_code == str(case.code)
        assert TARGET not in str(event.__dict__)


class TestTheLifecycle:
    def test_no_investigation_before_it_was_stopped(self, school):
        case = report(school)
        with pytest.raises(ValidationError) as refused:
            bullying.bullying_start_investigation(case=case, by=school.safety_officer)
        assert "stopped_at" in refused.value.message_dict
        case.refresh_from_db()
        assert case.state == BullyingState.REPORTED

    def test_the_investigation_clock_is_10_days_and_the_decision_stops_it(self, school):
        case = investigate(school, report(school))
        clock_row = FollowUp.objects.get(kind=BULLYING_INVESTIGATION)
        assert clock_row.due_at == shanghai("2026-11-27 00:00")  # the end of the 10th day
        case = decide(school, case)
        assert case.state == BullyingState.DECIDED
        clock_row.refresh_from_db()
        assert (clock_row.state, clock_row.outcome) == ("done", "decided")
        assert case.decided_at <= case.investigation_due_at

    def test_an_overdue_investigation_tells_the_leads_once(self, school):
        investigate(school, report(school))
        before = shanghai("2026-11-25 10:01")  # two days before: a reminder
        with time_machine.travel(before, tick=False):
            scan(at=before)
            scan(at=before)
        late = shanghai("2026-11-27 00:01")
        with time_machine.travel(late, tick=False):
            scan(at=late)
            scan(at=late)
        told = Notice.objects.filter(kind="incidents.bullying",
                                     subject_code__in=[str(c.code) for c in
                                                       BullyingCase.objects.all()],
                                     recipient__in=[school.principal, school.safety_officer])
        # principal and lead, reminded once and told once of it overdue
        assert told.count() == 4
        assert not Notice.objects.filter(recipient=school.head_teacher,
                                         kind="incidents.bullying").exists()

    @pytest.mark.parametrize(("change", "field"), [
        ({"committee_members": ""}, "committee_members"),
        ({"finding": ""}, "finding"),
        ({"is_bullying": None}, "is_bullying"),
        ({"severity": ""}, "severity"),
        ({"measures": []}, "measures"),
        ({"committee_on": dt.date(2026, 11, 15)}, "committee_on"),  # before it started
        ({"committee_on": dt.date(2026, 11, 21)}, "committee_on"),  # tomorrow then
    ])
    def test_a_decision_needs_its_parts(self, school, change, field):
        case = investigate(school, report(school))
        with pytest.raises(ValidationError) as refused:
            decide(school, case, **change)
        assert field in refused.value.message_dict

    def test_not_bullying_needs_no_severity_and_may_be_closed(self, school):
        case = decide(school, investigate(school, report(school)), is_bullying=False,
                      severity="", measures=[], finding="系同学间玩笑，不构成欺凌")
        assert (case.is_bullying, case.severity, case.measures) == (False, "", [])
        closed = bullying.bullying_transition(case=case, name="close", by=school.principal,
                                              reason="已教育双方，家长认可")
        assert closed.state == BullyingState.CLOSED

    def test_an_appeal_opens_the_15_day_recheck_and_its_result_closes_it(self, school):
        case = decide(school, investigate(school, report(school)))
        at = shanghai("2026-11-23 09:00")
        case = bullying.bullying_appeal(case=case, appealed_on=dt.date(2026, 11, 22),
                                        by=school.principal, at=at)
        assert case.state == BullyingState.APPEALED
        row = FollowUp.objects.get(kind=BULLYING_RECHECK)
        assert row.due_at == shanghai("2026-12-09 00:00")
        with pytest.raises(ValidationError):
            bullying.bullying_transition(case=case, name="recheck", by=school.principal,
                                         reason="", at=at)
        case = bullying.bullying_transition(case=case, name="recheck", by=school.principal,
                                            reason="县防治学生欺凌办公室维持原认定",
                                            at=shanghai("2026-12-01 09:00"))
        assert case.state == BullyingState.FOLLOW_UP
        row.refresh_from_db()
        assert row.state == "done"

    def test_one_appeal_a_case_and_its_result_stays_in_the_chronology(self, school):
        case = decide(school, investigate(school, report(school)))
        case = bullying.bullying_appeal(case=case, appealed_on=dt.date(2026, 11, 22),
                                        by=school.principal, at=shanghai("2026-11-23 09:00"))
        case = bullying.bullying_transition(case=case, name="recheck", by=school.principal,
                                            reason="县办维持原认定",
                                            at=shanghai("2026-11-30 09:00"))
        with pytest.raises(ValidationError) as refused:
            bullying.bullying_appeal(case=case, appealed_on=dt.date(2026, 11, 30),
                                     by=school.principal, at=shanghai("2026-12-01 09:00"))
        assert "appealed_on" in refused.value.message_dict
        closed = bullying.bullying_transition(case=case, name="close", by=school.principal,
                                              reason="回访无异常，结案",
                                              at=shanghai("2026-12-10 09:00"))
        texts = list(closed.chronology.values_list("text", flat=True))
        assert any("县办维持原认定" in t for t in texts)
        assert any("回访无异常，结案" in t for t in texts)

    def test_it_cannot_have_been_stopped_before_it_happened(self, school):
        case = report(school)  # it happened on 13 November
        with pytest.raises(ValidationError) as refused:
            bullying.bullying_record_stop(case=case, stopped_at=shanghai("2026-11-12 10:00"),
                                          safety_measures="x", by=school.safety_officer)
        assert "stopped_at" in refused.value.message_dict

    def test_an_appeal_before_the_decision_or_in_the_future_is_refused(self, school):
        case = decide(school, investigate(school, report(school)))
        for day in (dt.date(2026, 11, 19), dt.date(2026, 12, 1)):
            with pytest.raises(ValidationError):
                bullying.bullying_appeal(case=case, appealed_on=day, by=school.principal,
                                         at=shanghai("2026-11-23 09:00"))

    def test_the_states_follow_the_workflow(self, school):
        case = report(school)
        with pytest.raises(InvalidTransition):
            bullying.bullying_transition(case=case, name="close", by=school.principal,
                                         reason="结案")
        with pytest.raises(InvalidTransition):
            decide(school, case)
        case = decide(school, investigate(school, case))
        case = bullying.bullying_transition(case=case, name="follow_up", by=school.principal)
        closed = bullying.bullying_transition(case=case, name="close", by=school.principal,
                                              reason="回访三次，未再发生")
        assert closed.outcome == "回访三次，未再发生"
        with pytest.raises(InvalidTransition):
            bullying.bullying_transition(case=closed, name="close", by=school.principal,
                                         reason="again")
        assert list(BullyingTransition.objects.order_by("id").values_list("action", flat=True)) == [
            "investigate", "decide", "follow_up", "close"]

    def test_closing_cancels_every_open_clock_of_the_case(self, school):
        case = decide(school, investigate(school, report(school)))
        bullying.bullying_schedule_visit(case=case, assignee_id=school.head_teacher.pk,
                                         due_on=dt.date(2026, 11, 30), by=school.principal)
        bullying.bullying_transition(case=case, name="close", by=school.principal,
                                     reason="结案")
        assert not FollowUp.objects.open().exists()

    def test_nobody_but_the_leads_and_the_principal_moves_it(self, school):
        case = report(school)
        for who in (school.head_teacher, school.counselor, school.peer_principal):
            with pytest.raises(PermissionDenied):
                bullying.bullying_record_stop(
                    case=case, stopped_at=NOW, safety_measures="x", by=who)
            with pytest.raises(PermissionDenied):
                bullying.bullying_add_note(case=case, text="x", by=who)

    def test_the_database_refuses_a_closed_case_without_outcome(self, school):
        case = report(school)
        with pytest.raises(IntegrityError), transaction.atomic():
            BullyingCase.objects.filter(pk=case.pk).update(
                state="closed", is_bullying=False, committee_on=dt.date(2026, 11, 16))

    def test_the_database_refuses_a_decided_case_without_a_finding(self, school):
        case = report(school)
        with pytest.raises(IntegrityError), transaction.atomic():
            BullyingCase.objects.filter(pk=case.pk).update(state="decided")


class TestFamiliesSupportAndVisits:
    def test_both_sets_of_guardians_are_recorded_with_when_and_how(self, school):
        case = report(school)
        for side in ("target", "perpetrator"):
            bullying.bullying_inform_guardians(case=case, side=side, method="phone",
                                               informed_at=NOW - dt.timedelta(minutes=30),
                                               by=school.safety_officer)
        assert set(case.guardian_contacts.values_list("side", flat=True)) == {
            "target", "perpetrator"}
        with pytest.raises(ValidationError) as refused:
            bullying.bullying_inform_guardians(case=case, side="bystander", method="pigeon",
                                               informed_at=NOW + dt.timedelta(hours=1),
                                               by=school.safety_officer)
        assert set(refused.value.message_dict) == {"side", "method", "informed_at"}

    def test_the_counselor_records_support_and_the_task_is_done(self, school):
        case = report(school)
        with pytest.raises(ValidationError):
            bullying.bullying_record_support(case=case, text=" ", by=school.counselor)
        bullying.bullying_record_support(case=case, text="与被欺凌学生个别辅导一次",
                                         by=school.counselor)
        assert FollowUp.objects.get(kind=BULLYING_SUPPORT).state == "done"
        for who in (school.head_teacher, school.peer_principal):
            with pytest.raises(PermissionDenied):
                bullying.bullying_record_support(case=case, text="x", by=who)

    def test_support_not_given_in_time_reaches_the_principal(self, school):
        report(school)
        late = NOW + dt.timedelta(days=2, minutes=1)
        with time_machine.travel(late, tick=False):
            scan(at=late)
        assert Notice.objects.filter(kind="incidents.bullying",
                                     recipient=school.principal).exists()

    def test_a_visit_is_the_head_teachers_task_and_only_hers_to_record(self, school):
        case = decide(school, investigate(school, report(school)))
        assert bullying.visit_staff(case)[0][0] == school.head_teacher.pk  # her class first
        bullying.bullying_schedule_visit(case=case, assignee_id=school.head_teacher.pk,
                                         due_on=dt.date(2026, 11, 30), by=school.principal)
        with pytest.raises(PermissionDenied):
            bullying.bullying_record_visit(case=case, text="x", by=school.counselor)
        bullying.bullying_record_visit(case=case, text="家访：双方家长配合", by=school.head_teacher)
        assert FollowUp.objects.get(kind=BULLYING_VISIT).state == "done"
        with pytest.raises(PermissionDenied):  # her task is done: nothing more to record
            bullying.bullying_record_visit(case=case, text="again", by=school.head_teacher)

    def test_a_visit_needs_one_of_the_staff_and_a_day_from_today(self, school):
        case = report(school)
        with pytest.raises(ValidationError) as refused:
            bullying.bullying_schedule_visit(case=case, assignee_id=school.peer_principal.pk,
                                             due_on=dt.date(2026, 11, 15), by=school.principal)
        assert set(refused.value.message_dict) == {"assignee", "due_on"}

    def test_a_serious_case_links_to_the_schools_referral_only(self, school):
        case = report(school)
        concern = services.concern_log(school=school.school_a, by=school.head_teacher,
                                       pupil=school.target, observed="多处淤青",
                                       observed_at=NOW - dt.timedelta(hours=2))
        referral = services.referral_open(concern=concern, situations=["injury_neglect"],
                                          by=school.safety_officer)
        linked = bullying.bullying_link_referral(case=case, referral=referral,
                                                 by=school.safety_officer)
        assert linked.referral == referral
        other_lead = school_member(school.school_b, Role.REPORTING_LEAD)
        elsewhere = services.referral_open(
            concern=services.concern_log(school=school.school_b, by=other_lead,
                                         child_description="约10岁", observed="x",
                                         observed_at=NOW - dt.timedelta(hours=1)),
            situations=["missing"], by=other_lead)
        with pytest.raises(ValidationError):
            bullying.bullying_link_referral(case=case, referral=elsewhere,
                                            by=school.safety_officer)


class TestTheChronology:
    def test_every_step_is_an_entry_never_changed_or_deleted(self, school):
        case = decide(school, investigate(school, report(school)))
        bullying.bullying_add_note(case=case, text="补充：监控已调取", by=school.principal,
                                   at=shanghai("2026-11-20 17:00"))
        kinds = list(case.chronology.values_list("kind", flat=True))
        assert kinds == ["reported", "stopped", "state", "state", "note"]
        entry = case.chronology.first()
        with pytest.raises(TypeError):
            entry.save()
        with pytest.raises(TypeError):
            entry.delete()
        with pytest.raises(TypeError):
            BullyingEntry.objects.filter(case=case).update(text="x")

    def test_the_database_refuses_an_edit_too(self, school, settings):
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip("the trigger is PostgreSQL's")
        case = report(school)
        entry = case.chronology.first()
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute("UPDATE incidents_bullyingentry SET text = 'x' WHERE id = %s",
                           [entry.pk])


class TestTheBureauCounts:
    """The bureau view (issue 10 item 7): bullying cases by state and whether
    the 10-day investigation and the 15-day re-check were kept, 1–4 as "<5",
    never a pupil; on the page and in the Excel."""

    def cases(self, world, n, *, decide_at=None, started=True):
        made = []
        for _ in range(n):
            case = report(world)
            if started:
                case = investigate(world, case)
                if decide_at is not None:
                    case = decide(world, case, at=decide_at)
            made.append(case)
        return made

    def test_clock_compliance_and_states_suppressed(self, school):
        from incidents.counts import referral_counts

        self.cases(school, 5, decide_at=shanghai("2026-11-20 16:00"))  # in time
        self.cases(school, 2, decide_at=shanghai("2026-11-28 16:00"))  # late
        self.cases(school, 1)  # running
        self.cases(school, 1, started=False)
        counts = referral_counts(bureau_id=school.bureau.pk, year=2026,
                                 at=shanghai("2026-11-21 09:00")).bullying
        assert [c.shown for c in counts.investigation.cells[0]] == [5, "<5", 0, "<5"]
        states = [v for v, _label in counts.states]
        row = counts.by_state.cells[0]
        assert row[states.index("decided")].shown == 7
        assert row[states.index("reported")].shown == "<5"
        assert counts.by_state.row_totals[0].shown == 9
        later = referral_counts(bureau_id=school.bureau.pk, year=2026,
                                at=shanghai("2026-12-01 09:00")).bullying
        assert later.investigation.cells[0][2].shown == "<5"  # the running one is overdue

    def test_the_page_and_the_excel_show_counts_and_no_pupil(self, client, school):
        import io

        from django.urls import reverse
        from openpyxl import load_workbook

        from tests.conftest import sign_in

        self.cases(school, 5, decide_at=shanghai("2026-11-20 16:00"))
        sign_in(client, school.inspector)
        page = client.get(reverse("incidents:bureau_counts"), {"year": 2026})
        body = page.content.decode()
        assert 'data-testid="bullying-clocks"' in body
        assert TARGET not in body
        assert OTHER not in body
        response = client.get(reverse("incidents:bureau_counts_xlsx"), {"year": 2026})
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        rows = [row for row in sheet.iter_rows(values_only=True)]
        investigation = next(r for r in rows if r[0] and "10" in str(r[0]))
        assert list(investigation[1:6]) == [5, 0, 0, 0, 5]
        assert not any(TARGET in str(v) for r in rows for v in r if v)
