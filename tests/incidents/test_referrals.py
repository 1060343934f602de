"""Mandatory reporting (issue 10 items 1, 2, 6): a concern logged by any
member of staff alerts the school's leads at once and starts the police
clock; the lead's referral records reports to departments and moves through
DETECTED → REPORTED → ACCEPTED → COOPERATING → CLOSED on a chronology that is
only ever added to; overdue steps escalate once each, up to the bureau's
child-protection officer; nobody else learns that a referral exists."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from core.workflows import InvalidTransition
from followups.models import FollowUp
from followups.services import scan
from incidents import services
from incidents.access_rules import IncidentsPerm
from incidents.followup_kinds import POLICE_REPORT, REFERRAL_REVIEW
from incidents.models import ChronologyEntry, Concern, Referral, ReferralState
from notifications.models import Notice
from schools import access
from schools.models import Role
from tests.conftest import shanghai
from tests.incidents.conftest import CANARY
from tests.schools.factories import bureau_member, school_member
from tests.schools.pupil_factories import PupilFactory

pytestmark = pytest.mark.django_db

SEEN = "左臂有多处新旧淤青，孩子说是爸爸打的"
LOGGED = shanghai("2026-11-30 09:00")


def log(world, **kwargs):
    fields = {"school": world.school_a, "by": world.head_teacher, "observed": SEEN,
              "observed_at": LOGGED - dt.timedelta(minutes=30), "pupil": world.pupil,
              "at": LOGGED}
    fields.update(kwargs)
    return services.concern_log(**fields)


def open_referral(world, concern, **kwargs):
    return services.referral_open(concern=concern, situations=["injury_neglect"],
                                  by=world.safety_officer,
                                  at=LOGGED + dt.timedelta(minutes=20), **kwargs)


def police(world, referral, *, minutes=60, **kwargs):
    fields = {"referral": referral, "agency": "police",
              "reported_at": LOGGED + dt.timedelta(minutes=minutes),
              "receiving_unit": "城关派出所", "method": "call_110", "officer": "张警官",
              "receipt_number": "110-2026-0001", "by": world.safety_officer,
              "at": LOGGED + dt.timedelta(minutes=minutes + 5)}
    fields.update(kwargs)
    return services.referral_record_report(**fields)


class TestConcern:
    def test_any_member_of_staff_logs_one_and_the_leads_are_told_at_once(self, people):
        concern = log(people, by=people.staff)
        assert concern.logged_at == LOGGED
        told = set(Notice.objects.filter(kind="incidents.concern")
                   .values_list("recipient__username", flat=True))
        assert told == {"a-principal", "a-safety"}  # the principal and the designated lead

    def test_the_police_clock_starts_at_logging(self, people, settings):
        settings.INCIDENTS_POLICE_REPORT_HOURS = 6
        concern = log(people)
        clock = FollowUp.objects.get(kind=POLICE_REPORT)
        assert clock.subject_code == str(concern.code)
        assert clock.due_at == LOGGED + dt.timedelta(hours=6)

    @pytest.mark.parametrize(("change", "field"), [
        ({"observed": "  "}, "observed"),
        ({"pupil": None}, "pupil"),
        ({"child_description": "约10岁男孩"}, "child_description"),
        ({"observed_at": LOGGED + dt.timedelta(minutes=1)}, "observed_at"),
    ])
    def test_bad_input_is_refused_field_by_field_and_nothing_is_kept(self, people, change,
                                                                       field):
        with pytest.raises(ValidationError) as caught:
            log(people, **change)
        assert field in caught.value.message_dict
        assert not Concern.objects.exists()
        assert not Notice.objects.exists()
        assert not FollowUp.objects.exists()

    def test_a_child_not_on_the_roll_is_described_instead(self, people):
        concern = log(people, pupil=None, child_description="约10岁男孩，在校门口遇到")
        assert concern.pupil is None

    def test_a_pupil_of_another_school_is_refused(self, people, world):
        other = PupilFactory(school=world.school_b)
        with pytest.raises(ValidationError) as caught:
            log(people, pupil=other)
        assert "pupil" in caught.value.message_dict

    def test_nobody_from_outside_the_school_logs_one(self, people, world):
        for outsider in (world.peer_principal, world.inspector, people.officer):
            with pytest.raises(PermissionDenied):
                log(people, by=outsider)

    def test_the_audit_row_and_the_notice_carry_no_child(self, people):
        concern = log(people)
        event = AuditEvent.objects.get(action="concern.log")
        assert event.target_code == str(concern.code)
        for row in (*AuditEvent.objects.all(), *Notice.objects.all(),
                    *FollowUp.objects.all()):
            text = str(row.__dict__)
            assert CANARY not in text
            assert SEEN not in text
            assert people.pupil.student_number not in text


class TestReferral:
    def test_the_lead_opens_it_and_the_chronology_starts_with_the_concern(self, people):
        concern = log(people)
        referral = open_referral(people, concern)
        assert referral.state == ReferralState.DETECTED
        assert referral.detected_at == LOGGED
        assert [(e.kind, e.by) for e in referral.chronology.all()] == [
            ("concern", people.head_teacher), ("opened", people.safety_officer)]

    def test_only_the_leads_and_the_principal_open_one(self, people):
        concern = log(people)
        for user in (people.head_teacher, people.counselor, people.staff, people.officer,
                     people.inspector):
            with pytest.raises(PermissionDenied):
                services.referral_open(concern=concern, situations=["missing"], by=user)
        assert services.referral_open(concern=concern, situations=["missing"],
                                      by=people.principal)

    def test_one_referral_per_concern_and_at_least_one_situation(self, people):
        concern = log(people)
        with pytest.raises(ValidationError):
            services.referral_open(concern=concern, situations=[], by=people.principal)
        with pytest.raises(ValidationError):
            services.referral_open(concern=concern, situations=["nonsense"],
                                   by=people.principal)
        open_referral(people, concern)
        with pytest.raises(ValidationError) as caught:
            open_referral(people, concern)
        assert "concern" in caught.value.message_dict

    def test_the_police_report_moves_it_and_stops_the_clock(self, people):
        referral = open_referral(people, log(people))
        police(people, referral, minutes=90)
        referral.refresh_from_db()
        assert referral.state == ReferralState.REPORTED
        assert referral.police_reported_at == LOGGED + dt.timedelta(minutes=90)
        assert FollowUp.objects.get(kind=POLICE_REPORT).state == "done"
        assert referral.chronology.last().kind == "report"

    def test_a_report_elsewhere_first_leaves_the_police_clock_running(self, people):
        referral = open_referral(people, log(people))
        police(people, referral, agency="civil_affairs", receiving_unit="民政局")
        referral.refresh_from_db()
        assert referral.state == ReferralState.REPORTED
        assert referral.police_reported_at is None
        assert FollowUp.objects.get(kind=POLICE_REPORT).state == "open"

    @pytest.mark.parametrize(("change", "field"), [
        ({"agency": "army"}, "agency"), ({"method": "pigeon"}, "method"),
        ({"receiving_unit": " "}, "receiving_unit"),
        ({"reported_at": LOGGED + dt.timedelta(days=3)}, "reported_at"),
        ({"reported_at": LOGGED - dt.timedelta(days=3)}, "reported_at"),
    ])
    def test_a_bad_report_is_refused_and_nothing_changes(self, people, change, field):
        referral = open_referral(people, log(people))
        with pytest.raises(ValidationError) as caught:
            police(people, referral, **change)
        assert field in caught.value.message_dict
        referral.refresh_from_db()
        assert referral.state == ReferralState.DETECTED
        assert not referral.reports.exists()

    def test_the_states_follow_the_workflow_and_closing_needs_an_outcome(self, people):
        referral = open_referral(people, log(people))
        with pytest.raises(InvalidTransition):
            services.referral_transition(referral=referral, name="accept",
                                         by=people.safety_officer)
        police(people, referral)
        services.referral_transition(referral=referral, name="accept", by=people.principal)
        services.referral_transition(referral=referral, name="cooperate",
                                     by=people.principal)
        with pytest.raises(ValidationError):
            services.referral_transition(referral=referral, name="close",
                                         by=people.principal, reason=" ")
        closed = services.referral_transition(referral=referral, name="close",
                                              by=people.principal, reason="公安已立案侦查")
        assert (closed.state, closed.outcome) == (ReferralState.CLOSED, "公安已立案侦查")
        assert list(referral.transitions.values_list("to_state", flat=True)) == [
            "reported", "accepted", "cooperating", "closed"]
        with pytest.raises(InvalidTransition):
            services.referral_transition(referral=referral, name="close",
                                         by=people.principal, reason="again")
        with pytest.raises(ValidationError):
            police(people, referral)

    def test_nobody_but_the_leads_moves_it(self, people):
        referral = open_referral(people, log(people))
        police(people, referral)
        for user in (people.head_teacher, people.officer, people.peer_principal):
            with pytest.raises(PermissionDenied):
                services.referral_transition(referral=referral, name="accept", by=user)
            with pytest.raises(PermissionDenied):
                police(people, referral, by=user)
            with pytest.raises(PermissionDenied):
                services.referral_add_note(referral=referral, text="记录", by=user)

    def test_cooperating_opens_a_review_and_closing_cancels_every_clock(self, people,
                                                                        settings):
        settings.INCIDENTS_REVIEW_DAYS = 30
        referral = open_referral(people, log(people))
        police(people, referral, agency="education", receiving_unit="教体局")
        at = LOGGED + dt.timedelta(hours=3)
        services.referral_transition(referral=referral, name="cooperate",
                                     by=people.principal, at=at)
        review = FollowUp.objects.get(kind=REFERRAL_REVIEW)
        assert review.due_at == at + dt.timedelta(days=30)
        services.referral_transition(referral=referral, name="close", by=people.principal,
                                     reason="经核实不属于侵害")
        assert set(FollowUp.objects.values_list("kind", "state")) == {
            (REFERRAL_REVIEW, "cancelled"), (POLICE_REPORT, "cancelled")}


class TestChronology:
    def test_notes_are_added_never_changed_or_deleted(self, people):
        referral = open_referral(people, log(people))
        entry = services.referral_add_note(referral=referral, text="已联系家长",
                                           by=people.principal)
        entry.text = "改写"
        with pytest.raises(TypeError):
            entry.save()
        with pytest.raises(TypeError):
            entry.delete()
        with pytest.raises(TypeError):
            ChronologyEntry.objects.filter(pk=entry.pk).update(text="改写")
        with pytest.raises(TypeError):
            ChronologyEntry.objects.filter(pk=entry.pk).delete()

    def test_the_database_refuses_an_edit_too(self, people):
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip("the trigger is PostgreSQL's")
        referral = open_referral(people, log(people))
        entry = referral.chronology.first()
        with (pytest.raises(Exception, match="append-only"), transaction.atomic(),
              connection.cursor() as cursor):
            cursor.execute("UPDATE incidents_chronologyentry SET text = 'x' WHERE id = %s",
                               [entry.pk])

    def test_an_empty_note_is_refused(self, people):
        referral = open_referral(people, log(people))
        with pytest.raises(ValidationError):
            services.referral_add_note(referral=referral, text="  ", by=people.principal)


class TestClocks:
    def test_overdue_tells_the_leads_then_the_bureau_officer_once_each(self, people,
                                                                       settings):
        settings.INCIDENTS_POLICE_REPORT_HOURS = 24
        log(people)
        due = LOGGED + dt.timedelta(hours=24)
        scan(at=due - dt.timedelta(minutes=1))
        assert not Notice.objects.filter(kind="incidents.police_overdue").exists()
        for _ in range(2):  # a scan run twice says nothing twice
            scan(at=due + dt.timedelta(minutes=1))
        assert set(Notice.objects.filter(kind="incidents.police_overdue")
                   .values_list("recipient__username", flat=True)) == {"a-principal",
                                                                        "a-safety"}
        for _ in range(2):
            scan(at=due + dt.timedelta(hours=2, minutes=1))
        told = list(Notice.objects.filter(kind="incidents.police_overdue")
                    .values_list("recipient__username", flat=True))
        # The escalation reaches the officer and tells the leads it went up.
        assert sorted(told) == ["a-principal", "a-principal", "a-safety", "a-safety",
                                "cp-officer"]

    def test_the_officer_of_another_bureau_is_not_told(self, people, world):
        bureau_member(world.other_bureau, Role.PROTECTION_OFFICER, username="other-officer")
        log(people)
        scan(at=LOGGED + dt.timedelta(days=2))
        scan(at=LOGGED + dt.timedelta(days=2, hours=3))
        told = set(Notice.objects.values_list("recipient__username", flat=True))
        assert "other-officer" not in told

    def test_a_police_report_in_time_means_no_overdue_notice(self, people):
        referral = open_referral(people, log(people))
        police(people, referral)
        scan(at=LOGGED + dt.timedelta(days=2))
        assert not Notice.objects.filter(kind="incidents.police_overdue").exists()


class TestWhoSees:
    def test_only_the_leads_the_principal_and_the_bureau_officer_see_a_referral(self,
                                                                               people):
        referral = open_referral(people, log(people))
        visible = {u.username for u in (people.principal, people.safety_officer,
                                        people.head_teacher, people.counselor, people.staff,
                                        people.officer, people.inspector,
                                        people.bureau_admin, people.auditor,
                                        people.peer_principal, people.foreign_principal)
                   if access.allows(u, IncidentsPerm.VIEW_REFERRAL, referral)}
        assert visible == {"a-principal", "a-safety", "cp-officer"}

    def test_the_officer_of_another_bureau_sees_nothing(self, people, world):
        other = bureau_member(world.other_bureau, Role.PROTECTION_OFFICER)
        referral = open_referral(people, log(people))
        assert not access.allows(other, IncidentsPerm.VIEW_REFERRAL, referral)

    def test_a_lead_designation_is_per_school(self, people, world):
        lead_b = school_member(world.school_b, Role.REPORTING_LEAD)
        referral = open_referral(people, log(people))
        assert not access.allows(lead_b, IncidentsPerm.VIEW_REFERRAL, referral)


def test_a_closed_referral_without_outcome_is_refused_by_the_database(people):
    referral = open_referral(people, log(people))
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(state="closed", outcome="")
