"""The class register by exception (issue 11 item 1): everyone is present
unless marked; "no absences" is a register too, so a register not taken is
never "all present"; one register row a class a day plus one row an
exception; sick leave names the symptom, leave says who asked; corrections
the same day keep who changed what; only the class's keepers take it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from attendance import services
from attendance.models import AttendanceMark, ClassRegister, MarkChange, RegisterKeeper
from attendance.services import MarkInput, mark_key
from audit.models import AuditEvent
from schools.models import CalendarDay, Role
from tests.conftest import shanghai, sign_in
from tests.schools.factories import SchoolClassFactory, school_member
from tests.schools.pupil_factories import PupilFactory

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def take(world, klass, *marks, by=None, at=None):
    return services.register_take(school_class=klass, marks=list(marks),
                                  by=by or world.head_teacher, at=at)


def pupil(klass, n):
    return klass.pupils_made[n - 1]


class TestTakingTheRegister:
    def test_not_taken_is_no_register_and_no_absences_is_a_register_without_marks(
            self, world, klass):
        assert not ClassRegister.objects.filter(school_class=klass, day=TODAY).exists()
        register = take(world, klass)
        assert (register.day, register.taken_by, register.marks.count()) == (
            TODAY, world.head_teacher, 0)

    def test_one_register_row_a_day_and_one_row_an_exception(self, world, klass):
        take(world, klass, MarkInput(pupil(klass, 1).pk, "truant"),
             MarkInput(pupil(klass, 2).pk, "late", session="am"))
        assert ClassRegister.objects.count() == 1
        assert AttendanceMark.objects.count() == 2  # not one a pupil: five are enrolled

    def test_sick_leave_keeps_the_symptom_and_leave_who_asked(self, world, klass):
        register = take(world, klass,
                        MarkInput(pupil(klass, 1).pk, "sick_leave", symptom="fever",
                                  leave_source="guardian_call", leave_reason="发烧38.5度"),
                        MarkInput(pupil(klass, 2).pk, "personal_leave", session="pm",
                                  leave_source="note", leave_reason="家中有事"))
        marks = {m.pupil_id: m for m in register.marks.all()}
        assert (marks[pupil(klass, 1).pk].symptom, marks[pupil(klass, 1).pk].leave_source) == (
            "fever", "guardian_call")
        assert marks[pupil(klass, 2).pk].session == "pm"

    def test_what_a_code_does_not_need_is_not_kept(self, world, klass):
        register = take(world, klass, MarkInput(pupil(klass, 1).pk, "truant", symptom="fever",
                                                leave_source="note", leave_reason="x"))
        mark = register.marks.get()
        assert (mark.symptom, mark.leave_source, mark.leave_reason) == ("", "", "")

    @pytest.mark.parametrize(("mark", "words"), [
        (dict(code="sick_leave"), "症状"),
        (dict(code="sick_leave", symptom="fever"), "请假方式"),
        (dict(code="personal_leave"), "请假方式"),
        (dict(code="absent"), "旷课"),
        (dict(code="late", session="evening"), "上午"),
        (dict(code="personal_leave", leave_source="note", leave_reason="很" * 201), "200"),
    ])
    def test_a_mark_missing_what_it_needs_is_refused_for_that_pupil(self, world, klass, mark,
                                                                     words):
        target = pupil(klass, 3)
        with pytest.raises(ValidationError) as refused:
            take(world, klass, MarkInput(target.pk, **mark))
        assert words in refused.value.message_dict[mark_key(target.pk)][0]
        assert not ClassRegister.objects.exists()

    def test_a_pupil_of_another_class_or_named_twice_is_refused(self, world, klass):
        other = PupilFactory(school=world.school_a, current_class=SchoolClassFactory(
            school=world.school_a))
        with pytest.raises(ValidationError) as refused:
            take(world, klass, MarkInput(other.pk, "truant"),
                 MarkInput(pupil(klass, 1).pk, "late"), MarkInput(pupil(klass, 1).pk, "truant"))
        assert set(refused.value.message_dict) == {mark_key(other.pk), mark_key(pupil(klass, 1).pk)}

    def test_a_pupil_who_left_is_not_on_the_register(self, world, klass):
        gone = pupil(klass, 5)
        gone.status = "transferred_out"
        gone.save()
        with pytest.raises(ValidationError):
            take(world, klass, MarkInput(gone.pk, "truant"))

    @pytest.mark.parametrize("day", ["2026-11-14 08:30", "2026-10-02 08:30"],
                             ids=["saturday", "national_day"])
    def test_no_register_on_a_day_that_is_not_a_school_day(self, world, klass, day):
        with time_machine.travel(shanghai(day), tick=False), \
                pytest.raises(ValidationError) as refused:
            take(world, klass)
        assert "day" in refused.value.message_dict

    def test_a_closure_the_bureau_decided_has_no_register(self, world, klass):
        CalendarDay.objects.create(bureau=world.bureau, day=TODAY, reason="暴雪停课")
        with pytest.raises(ValidationError):
            take(world, klass)


class TestCorrectionsTheSameDay:
    def test_each_change_is_kept_with_who_and_when_and_unchanged_marks_are_not(self, world,
                                                                                klass):
        take(world, klass, MarkInput(pupil(klass, 1).pk, "truant"),
             MarkInput(pupil(klass, 2).pk, "late", session="am"))
        later = shanghai("2026-11-16 10:15")
        register = take(world, klass, MarkInput(pupil(klass, 2).pk, "late", session="am"),
                        MarkInput(pupil(klass, 3).pk, "sick_leave", symptom="cough",
                                  leave_source="guardian_call"),
                        by=world.principal, at=later)
        changes = {c.pupil_id: (c.before, c.after, c.by, c.at) for c in MarkChange.objects.all()}
        assert changes == {
            pupil(klass, 1).pk: ("truant/day", "", world.principal, later),  # came after all
            pupil(klass, 3).pk: ("", "sick_leave/day/cough", world.principal, later),
        }
        assert (register.taken_by, register.changed_by, register.changed_at) == (
            world.head_teacher, world.principal, later)
        assert sorted(register.marks.values_list("pupil_id", flat=True)) == [
            pupil(klass, 2).pk, pupil(klass, 3).pk]

    def test_the_same_register_sent_again_changes_nothing(self, world, klass):
        mark = MarkInput(pupil(klass, 1).pk, "truant")
        take(world, klass, mark)
        register = take(world, klass, mark)
        assert register.changed_at is None
        assert not MarkChange.objects.exists()

    def test_the_next_day_is_a_new_register(self, world, klass):
        take(world, klass, MarkInput(pupil(klass, 1).pk, "truant"))
        with time_machine.travel(shanghai("2026-11-17 08:30"), tick=False):
            take(world, klass)
        assert ClassRegister.objects.count() == 2
        assert not MarkChange.objects.exists()


class TestWhoKeepsTheRegister:
    def test_the_head_teacher_the_principal_and_the_safety_officer(self, world, klass):
        for who in (world.head_teacher, world.principal, world.safety_officer):
            take(world, klass, by=who)

    @pytest.mark.parametrize("who", ["counselor", "staff", "peer_principal"])
    def test_nobody_else(self, world, klass, who):
        with pytest.raises(PermissionDenied):
            take(world, klass, by=getattr(world, who))

    def test_a_head_teacher_of_another_class(self, world, klass):
        other = school_member(world.school_a, Role.HEAD_TEACHER, username="a-teacher-2")
        with pytest.raises(PermissionDenied):
            take(world, klass, by=other)

    def test_a_teacher_the_principal_allowed_and_only_for_that_class(self, world, klass):
        services.keeper_allow(school_class=klass, user_id=world.staff.pk, by=world.principal)
        take(world, klass, by=world.staff)
        other_class = SchoolClassFactory(school=world.school_a, school_year=klass.school_year)
        with pytest.raises(PermissionDenied):
            take(world, other_class, by=world.staff)

    def test_only_the_principal_allows_and_only_the_schools_staff(self, world, klass):
        with pytest.raises(PermissionDenied):
            services.keeper_allow(school_class=klass, user_id=world.staff.pk,
                                  by=world.head_teacher)
        with pytest.raises(ValidationError):
            services.keeper_allow(school_class=klass, user_id=world.peer_principal.pk,
                                  by=world.principal)
        keeper = services.keeper_allow(school_class=klass, user_id=world.staff.pk,
                                       by=world.principal)
        services.keeper_remove(keeper=keeper, by=world.principal)
        assert not RegisterKeeper.objects.exists()
        with pytest.raises(PermissionDenied):
            take(world, klass, by=world.staff)

    def test_last_years_class_is_nobodys(self, world, klass):
        old = SchoolClassFactory(school=world.school_a, school_year=klass.school_year - 1)
        with pytest.raises(PermissionDenied):
            take(world, old, by=world.principal)


class TestThePages:
    def test_the_list_says_which_classes_are_taken_and_how(self, client, world, klass):
        sign_in(client, world.head_teacher)
        page = client.get(reverse("attendance:registers")).content.decode()
        assert "未考勤" in page
        take(world, klass, MarkInput(pupil(klass, 1).pk, "truant"))
        page = client.get(reverse("attendance:registers")).content.decode()
        assert "已考勤" in page
        assert "1 人次异常" in page

    def test_two_pupils_marked_and_sent(self, client, world, klass):
        sign_in(client, world.head_teacher)
        url = reverse("attendance:register", args=[klass.pk])
        page = client.get(url).content.decode()
        assert all(p.name in page for p in klass.pupils_made)
        response = client.post(url, {f"code-{pupil(klass, 1).pk}": "truant",
                                     f"session-{pupil(klass, 1).pk}": "day",
                                     f"code-{pupil(klass, 2).pk}": "late",
                                     f"session-{pupil(klass, 2).pk}": "am"})
        assert response.status_code == 302
        register = ClassRegister.objects.get()
        assert sorted(register.marks.values_list("code", flat=True)) == ["late", "truant"]
        event = AuditEvent.objects.get(action="register.take")
        assert str(event.target_code) == str(register.pk)
        assert not any(p.name in str(event.extra) for p in klass.pupils_made)

    def test_a_bad_mark_comes_back_naming_the_pupil_with_every_choice_kept(self, client,
                                                                            world, klass):
        sign_in(client, world.head_teacher)
        url = reverse("attendance:register", args=[klass.pk])
        sick, truant = pupil(klass, 1), pupil(klass, 2)
        response = client.post(url, {f"code-{sick.pk}": "sick_leave",
                                     f"session-{sick.pk}": "am",
                                     f"code-{truant.pk}": "truant"})
        assert response.status_code == 400
        page = response.content.decode()
        assert "请选择学生的症状" in page or "症状" in page
        assert f'id="code-{truant.pk}-truant" value="truant" checked' in page
        assert f'id="session-{sick.pk}-am" value="am" checked' in page
        assert not ClassRegister.objects.exists()

    def test_a_taken_register_opened_again_is_an_audit_row(self, client, world, klass):
        register = take(world, klass, MarkInput(pupil(klass, 1).pk, "truant"))
        sign_in(client, world.principal)
        client.get(reverse("attendance:register", args=[klass.pk]))
        assert AuditEvent.objects.filter(target_type="attendance.classregister",
                                         target_code=str(register.pk),
                                         action="record.view").count() == 1

    def test_on_a_day_off_the_page_says_so(self, client, world, klass):
        CalendarDay.objects.create(bureau=world.bureau, day=TODAY, reason="停课")
        sign_in(client, world.head_teacher)
        page = client.get(reverse("attendance:register", args=[klass.pk])).content.decode()
        assert 'data-testid="not-a-school-day"' in page
        assert 'data-testid="register-form"' not in page

    def test_staff_who_keep_no_class_have_no_register_page(self, client, world, klass):
        sign_in(client, world.staff)
        assert client.get(reverse("attendance:registers")).status_code == 403
        services.keeper_allow(school_class=klass, user_id=world.staff.pk, by=world.principal)
        assert client.get(reverse("attendance:registers")).status_code == 200


def test_the_day_is_the_shanghai_day(world, klass):
    # 23:30 UTC on the 15th is 07:30 on the 16th in Shanghai.
    at = dt.datetime(2026, 11, 15, 23, 30, tzinfo=dt.UTC)
    register = take(world, klass, at=at)
    assert register.day == TODAY
