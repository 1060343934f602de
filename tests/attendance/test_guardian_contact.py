"""Same-day guardian contact (issue 11 item 2): a pupil marked truant opens a
follow-up for the class's head teacher, due 2 hours after the register, and
one for the principal and the safety officer at the end of the school day;
each is told once, with a link and no name; a contact with the guardians
reached completes both, one not reached leaves the end-of-day one; a
register corrected to no truancy cancels them; the guardians' phones are on
the contact page for the class's keepers, and nowhere for anyone else."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from attendance import services
from attendance.followup_kinds import CONTACT_ESCALATION, GUARDIAN_CONTACT
from attendance.services import MarkInput
from audit.models import AuditEvent
from followups.models import FollowUp
from followups.services import scan
from notifications.models import Notice
from tests.conftest import shanghai, sign_in
from tests.schools.pupil_factories import GuardianFactory

pytestmark = pytest.mark.django_db

TAKEN = shanghai("2026-11-16 08:30")


def truant(world, klass, n=1, *, at=TAKEN, by=None):
    pupil = klass.pupils_made[n - 1]
    register = services.register_take(school_class=klass, marks=[MarkInput(pupil.pk, "truant")],
                                       by=by or world.head_teacher, at=at)
    return register, pupil


def rows(kind=None):
    qs = FollowUp.objects.filter(kind__in=[GUARDIAN_CONTACT, CONTACT_ESCALATION])
    return qs.filter(kind=kind) if kind else qs


def told(kind_of_followup):
    return sorted(Notice.objects.filter(kind="attendance.contact",
                                        key__contains=str(rows(kind_of_followup).get().pk))
                  .values_list("recipient__username", flat=True))


class TestTheClocks:
    def test_truancy_opens_the_head_teachers_contact_and_the_end_of_day_escalation(
            self, world, klass):
        register, pupil = truant(world, klass, by=world.principal)
        contact = rows(GUARDIAN_CONTACT).get()
        escalation = rows(CONTACT_ESCALATION).get()
        assert (contact.due_at, contact.assignee) == (shanghai("2026-11-16 10:30"),
                                                      world.head_teacher)
        assert escalation.due_at == shanghai("2026-11-16 17:00")
        assert contact.subject_code == f"{register.pk}:{pupil.code}"
        assert pupil.name not in str(contact.data) + contact.subject_code

    def test_each_is_told_once_to_the_right_people(self, world, klass):
        truant(world, klass)
        for at in ("2026-11-16 10:29", "2026-11-16 10:31", "2026-11-16 10:32"):
            with time_machine.travel(shanghai(at), tick=False):
                scan(at=shanghai(at))
        assert told(GUARDIAN_CONTACT) == ["a-teacher"]
        for at in ("2026-11-16 17:01", "2026-11-16 17:02"):
            with time_machine.travel(shanghai(at), tick=False):
                scan(at=shanghai(at))
        assert told(CONTACT_ESCALATION) == ["a-principal", "a-safety"]
        for notice in Notice.objects.filter(kind="attendance.contact"):
            assert all(p.name not in str(notice.context) for p in klass.pupils_made)

    def test_a_register_taken_late_in_the_day_escalates_no_earlier_than_the_contact(
            self, world, klass):
        truant(world, klass, at=shanghai("2026-11-16 16:00"))
        assert rows(CONTACT_ESCALATION).get().due_at == shanghai("2026-11-16 18:00")

    def test_a_guardian_reached_completes_both(self, world, klass):
        register, pupil = truant(world, klass)
        services.contact_record(register=register, pupil=pupil, method="phone", reached=True,
                                reason="孩子发烧在家", expected_back_on=dt.date(2026, 11, 18),
                                by=world.head_teacher, at=shanghai("2026-11-16 09:10"))
        assert set(rows().values_list("state", flat=True)) == {"done"}

    def test_not_reached_leaves_the_end_of_day_escalation(self, world, klass):
        register, pupil = truant(world, klass)
        services.contact_record(register=register, pupil=pupil, method="phone", reached=False,
                                by=world.head_teacher)
        assert rows(GUARDIAN_CONTACT).get().state == "done"
        assert rows(CONTACT_ESCALATION).get().state == "open"

    def test_a_correction_to_no_truancy_cancels_them_and_a_new_truancy_opens_them(
            self, world, klass):
        register, pupil = truant(world, klass)
        services.register_take(school_class=klass, marks=[], by=world.head_teacher,
                               at=shanghai("2026-11-16 09:00"))
        assert set(rows().values_list("state", flat=True)) == {"cancelled"}
        other = klass.pupils_made[1]
        services.register_take(school_class=klass, marks=[MarkInput(other.pk, "truant")],
                               by=world.head_teacher, at=shanghai("2026-11-16 09:30"))
        opened = rows().filter(state="open")
        assert opened.count() == 2
        assert opened.get(kind=GUARDIAN_CONTACT).due_at == shanghai("2026-11-16 11:30")

    def test_leave_and_lateness_open_nothing(self, world, klass):
        services.register_take(school_class=klass, marks=[
            MarkInput(klass.pupils_made[0].pk, "late"),
            MarkInput(klass.pupils_made[1].pk, "sick_leave", symptom="fever",
                      leave_source="guardian_call")], by=world.head_teacher, at=TAKEN)
        assert not rows().exists()


class TestRecordingTheContact:
    @pytest.mark.parametrize(("fields", "key"), [
        (dict(method="letter", reached=True), "method"),
        (dict(method="phone", reached=False, reason="没接"), "reached"),
        (dict(method="phone", reached=True, expected_back_on=dt.date(2026, 11, 15)),
         "expected_back_on"),
        (dict(method="phone", reached=True, reason="很" * 501), "reason"),
    ])
    def test_bad_input_is_refused_by_field(self, world, klass, fields, key):
        register, pupil = truant(world, klass)
        with pytest.raises(ValidationError) as refused:
            services.contact_record(register=register, pupil=pupil, by=world.head_teacher,
                                    **fields)
        assert key in refused.value.message_dict

    def test_only_a_pupil_marked_on_the_register(self, world, klass):
        register, _pupil = truant(world, klass)
        with pytest.raises(ValidationError) as refused:
            services.contact_record(register=register, pupil=klass.pupils_made[4],
                                    method="phone", reached=False, by=world.head_teacher)
        assert "pupil" in refused.value.message_dict

    @pytest.mark.parametrize("who", ["counselor", "staff", "peer_principal"])
    def test_only_the_classs_keepers(self, world, klass, who):
        register, pupil = truant(world, klass)
        with pytest.raises(PermissionDenied):
            services.contact_record(register=register, pupil=pupil, method="phone",
                                    reached=False, by=getattr(world, who))


class TestThePage:
    def test_the_head_teacher_calls_from_the_page_and_records_it(self, client, world, klass):
        register, pupil = truant(world, klass)
        GuardianFactory(pupil=pupil, is_primary=True, phone="13800138000")
        sign_in(client, world.head_teacher)
        url = reverse("attendance:contact", args=[register.pk, pupil.code])
        page = client.get(url).content.decode()
        assert 'href="tel:13800138000"' in page
        assert AuditEvent.objects.filter(target_code=str(pupil.code),
                                         action="record.view").count() == 1
        response = client.post(url, {"method": "phone", "reached": "yes",
                                     "reason": "生病", "expected_back_on": "2026-11-17"})
        assert response.status_code == 302
        assert rows(GUARDIAN_CONTACT).get().state == "done"

    def test_a_bad_contact_comes_back_with_what_was_typed(self, client, world, klass):
        register, pupil = truant(world, klass)
        sign_in(client, world.head_teacher)
        url = reverse("attendance:contact", args=[register.pk, pupil.code])
        response = client.post(url, {"method": "phone", "reached": "no",
                                     "reason": "电话关机"})
        assert response.status_code == 400
        assert "电话关机" in response.content.decode()

    def test_the_register_page_links_the_truant_pupils_contact(self, client, world, klass):
        register, pupil = truant(world, klass)
        sign_in(client, world.head_teacher)
        page = client.get(reverse("attendance:register", args=[klass.pk])).content.decode()
        assert reverse("attendance:contact", args=[register.pk, pupil.code]) in page

    def test_nobody_else_finds_the_page_or_the_phone(self, client, world, klass):
        register, pupil = truant(world, klass)
        GuardianFactory(pupil=pupil, phone="13800138000")
        url = reverse("attendance:contact", args=[register.pk, pupil.code])
        for who in (world.counselor, world.staff, world.peer_principal, world.inspector):
            sign_in(client, who, verified=True)
            response = client.get(url)
            assert response.status_code in (403, 404)
            assert "13800138000" not in response.content.decode()
