"""The class register's writes (issue 11 item 1): taking today's register by
exception, correcting it the same day, allowing a teacher to keep a class's
register. Every write is here; views, tasks and the demo call these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from core.signals import announce as _announce
from followups.models import FollowUp
from followups.services import followup_cancel, followup_complete, followup_open
from schools import access
from schools.calendar import is_school_day
from schools.models import Membership, Pupil, Role, SchoolClass

from .access_rules import AttendancePerm
from .followup_kinds import CONTACT_ESCALATION, GUARDIAN_CONTACT, absence_code
from .keepers import keeps
from .models import (
    LEAVE,
    UNEXCUSED,
    AttendanceCode,
    AttendanceMark,
    ClassRegister,
    ContactMethod,
    GuardianContact,
    LeaveSource,
    MarkChange,
    RegisterKeeper,
    Session,
    Symptom,
)


@dataclass(frozen=True)
class MarkInput:
    """One pupil's exception as typed: an AttendanceCode, a Session, and for
    sick leave the Symptom, for leave who asked (LeaveSource) and why."""

    pupil_id: int
    code: str
    session: str = Session.DAY
    symptom: str = ""
    leave_source: str = ""
    leave_reason: str = ""


def mark_key(pupil_id: int) -> str:
    """The key of a pupil's errors in ValidationError.message_dict."""
    return f"pupil-{pupil_id}"


def _clean(mark: MarkInput, enrolled: set[int], errors: dict[str, str]) -> dict | None:
    key = mark_key(mark.pupil_id)
    if mark.pupil_id not in enrolled:
        errors[key] = _("This pupil is not enrolled in the class.")
        return None
    if mark.code not in AttendanceCode.values:
        errors[key] = _("Choose late, left early, truant, personal leave or sick leave.")
        return None
    if mark.session not in Session.values:
        errors[key] = _("Choose the whole day, the morning or the afternoon.")
        return None
    symptom, source = (mark.symptom or "").strip(), (mark.leave_source or "").strip()
    reason = (mark.leave_reason or "").strip()
    if mark.code == AttendanceCode.SICK_LEAVE and symptom not in Symptom.values:
        errors[key] = _("Say which symptom the pupil has.")
        return None
    if mark.code in LEAVE and source not in LeaveSource.values:
        errors[key] = _("Say who asked for the leave.")
        return None
    if len(reason) > 200:
        errors[key] = _("At most 200 characters.")
        return None
    leave = mark.code in LEAVE
    return {"code": mark.code, "session": mark.session,
            "symptom": symptom if mark.code == AttendanceCode.SICK_LEAVE else "",
            "leave_source": source if leave else "", "leave_reason": reason if leave else ""}


def describe(values: dict | AttendanceMark | None) -> str:
    """A mark as codes for the correction history ("" for present):
    "sick_leave/am/fever". Never a name or a reason."""
    if values is None:
        return ""
    get = values.get if isinstance(values, dict) else lambda f: getattr(values, f)
    return "/".join(part for part in (get("code"), get("session"), get("symptom")) if part)


_FIELDS = ("code", "session", "symptom", "leave_source", "leave_reason")


@transaction.atomic
def register_take(*, school_class: SchoolClass, marks: Iterable[MarkInput], by,
                  at: dt.datetime | None = None, request=None) -> ClassRegister:
    """Take, or correct, `school_class`'s register of today (Asia/Shanghai;
    `at` default now): everyone enrolled in the class is present but the
    pupils of `marks` (no marks: "no absences", a register all the same).
    A second call the same day replaces the marks and records each change
    (MarkChange: who, when, before, after). Rule: issue 11 item 1 — one
    register row per class per day plus one row per exception.

    Raises PermissionDenied unless `by` keeps the class's register
    (attendance.keepers), ValidationError({"day": …}) on a day that is not a
    school day (schools.calendar), ValidationError keyed by
    `mark_key(pupil_id)` for a pupil not enrolled in the class, named twice,
    or a mark missing what it needs (a sick pupil's symptom, who asked for a
    leave)."""
    at = at or clock.now()
    day = clock.today(at)
    if not keeps(by, school_class):
        raise PermissionDenied
    if not is_school_day(school_class.school.bureau_id, day):
        raise ValidationError({"day": _("Today is not a school day: there is no register to "
                                        "take.")})
    enrolled = set(Pupil.objects.enrolled().filter(current_class=school_class)
                   .values_list("pk", flat=True))
    errors: dict[str, str] = {}
    wanted: dict[int, dict] = {}
    for mark in marks:
        if mark.pupil_id in wanted:
            errors[mark_key(mark.pupil_id)] = _("This pupil is marked twice.")
            continue
        values = _clean(mark, enrolled, errors)
        if values is not None:
            wanted[mark.pupil_id] = values
    if errors:
        raise ValidationError(errors)

    register = ClassRegister.objects.select_for_update().filter(
        school_class=school_class, day=day).first()
    if register is None:
        register = ClassRegister.objects.create(
            school=school_class.school, school_class=school_class, day=day, taken_by=by,
            taken_at=at)
        AttendanceMark.objects.bulk_create(
            AttendanceMark(register=register, pupil_id=pupil_id, **values)
            for pupil_id, values in sorted(wanted.items()))
        _contacts_follow(register, before=set(), after=_unexcused(wanted), by=by, at=at)
        _announce("register.take", by=by, obj=register, school_id=school_class.school_id,
                  request=request, rows=len(wanted))
        return register

    existing = {m.pupil_id: m for m in register.marks.all()}
    unexcused_before = {pupil_id for pupil_id, m in existing.items() if m.code in UNEXCUSED}
    changes = []
    for pupil_id in sorted(set(existing) | set(wanted)):
        old, new = existing.get(pupil_id), wanted.get(pupil_id)
        if old is not None and new is not None and all(
                getattr(old, f) == new[f] for f in _FIELDS):
            continue
        changes.append(MarkChange(register=register, pupil_id=pupil_id, before=describe(old),
                                  after=describe(new), by=by, at=at))
        if new is None:
            old.delete()
        elif old is None:
            AttendanceMark.objects.create(register=register, pupil_id=pupil_id, **new)
        else:
            for field, value in new.items():
                setattr(old, field, value)
            old.save(update_fields=list(_FIELDS))
    _contacts_follow(register, before=unexcused_before, after=_unexcused(wanted), by=by, at=at)
    if changes:
        MarkChange.objects.bulk_create(changes)
        register.changed_by, register.changed_at = by, at
        register.save(update_fields=["changed_by", "changed_at"])
        _announce("register.correct", by=by, obj=register, school_id=school_class.school_id,
                  request=request, rows=len(changes))
    return register


def _unexcused(wanted: dict[int, dict]) -> set[int]:
    return {pupil_id for pupil_id, values in wanted.items() if values["code"] in UNEXCUSED}


def head_teacher_of(school_class: SchoolClass) -> int | None:
    """The user id of the class's head teacher (the first by id of those
    whose active membership leads it), None when nobody leads it."""
    return Membership.objects.filter(
        classes=school_class, role=Role.HEAD_TEACHER, is_active=True,
        school_id=school_class.school_id).order_by("user_id").values_list(
        "user_id", flat=True).first()


def contact_due(register: ClassRegister, at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """(when the head teacher's contact is due, when it goes to the principal
    and the safety officer) for an absence recorded at `at`:
    settings.ATTENDANCE_CONTACT_HOURS later, and the end of the school day
    (settings.ATTENDANCE_SCHOOL_DAY_ENDS o'clock, Asia/Shanghai) or the
    contact's due time if that is later. Rule: issue 11 item 2."""
    due = at + dt.timedelta(hours=settings.ATTENDANCE_CONTACT_HOURS)
    end = clock.start_of_day(register.day) + dt.timedelta(
        hours=settings.ATTENDANCE_SCHOOL_DAY_ENDS)
    return due, max(due, end)


def _absence_followups(register: ClassRegister, pupil_code):
    return FollowUp.objects.open().filter(
        kind__in=[GUARDIAN_CONTACT, CONTACT_ESCALATION],
        subject_code=absence_code(register.pk, pupil_code))


def _contacts_follow(register: ClassRegister, *, before: set[int], after: set[int], by,
                     at: dt.datetime) -> None:
    """Open the day's contact follow-ups of each pupil newly absent without
    leave (unless a contact is already recorded), cancel those of a pupil
    no longer marked so."""
    added, removed = after - before, before - after
    codes = dict(Pupil.objects.filter(pk__in=added | removed).values_list("pk", "code"))
    if added:
        contacted = set(GuardianContact.objects.filter(register=register, pupil_id__in=added)
                        .values_list("pupil_id", flat=True))
        due, end = contact_due(register, at)
        head = head_teacher_of(register.school_class) or by.pk
        for pupil_id in sorted(added - contacted):
            code = absence_code(register.pk, codes[pupil_id])
            followup_open(kind=GUARDIAN_CONTACT, subject_code=code,
                          school_id=register.school_id, due_at=due, assignee_id=head)
            followup_open(kind=CONTACT_ESCALATION, subject_code=code,
                          school_id=register.school_id, due_at=end)
    for pupil_id in sorted(removed):
        followup_cancel(_absence_followups(register, codes[pupil_id]), by=by,
                        outcome="register corrected", at=at)


@transaction.atomic
def contact_record(*, register: ClassRegister, pupil: Pupil, method: str, reached: bool,
                   reason: str = "", expected_back_on: dt.date | None = None, by,
                   at: dt.datetime | None = None, request=None) -> GuardianContact:
    """Record a contact with the guardians of `pupil`, marked absent
    on `register`: how (ContactMethod), whether they were reached, and if so
    the reason they gave (at most 500 characters) and the day the pupil is
    expected back (not before the register's day, within 60 days). Completes
    the head teacher's follow-up, and when the guardians were reached the
    end-of-day escalation too (issue 11 item 2). Raises PermissionDenied
    unless `by` keeps the class's register, ValidationError keyed by field
    ("pupil" for a pupil not marked on the register)."""
    at = at or clock.now()
    if not keeps(by, register.school_class):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if not register.marks.filter(pupil=pupil).exists():
        errors["pupil"] = _("This pupil is not marked absent on this register.")
    if method not in ContactMethod.values:
        errors["method"] = _("Choose how the guardians were contacted.")
    reason = (reason or "").strip()
    if len(reason) > 500:
        errors["reason"] = _("At most 500 characters.")
    if not reached and (reason or expected_back_on):
        errors["reached"] = _("A reason and a return day come from a guardian who was reached.")
    if expected_back_on is not None and not (
            register.day <= expected_back_on <= register.day + dt.timedelta(days=60)):
        errors["expected_back_on"] = _("Give a day from the register's day to 60 days after.")
    if errors:
        raise ValidationError(errors)
    contact = GuardianContact.objects.create(
        register=register, pupil=pupil, method=method, reached=bool(reached),
        reason=reason if reached else "", expected_back_on=expected_back_on if reached else None,
        recorded_by=by, recorded_at=at)
    # Tried and not reached: the head teacher's step is done, but the
    # principal and the safety officer still hear at the end of the day
    # unless a later contact reaches the family.
    rows = _absence_followups(register, pupil.code)
    followup_complete(rows if reached else rows.filter(kind=GUARDIAN_CONTACT), by=by,
                      outcome="reached" if reached else "not reached", at=at)
    _announce("absence.contact", by=by, obj=contact, school_id=register.school_id,
              request=request, kind=method)
    return contact


def keeper_choices(school_class: SchoolClass) -> list[tuple[int, str]]:
    """The school's staff who may be allowed to keep the class's register:
    (user id, name) of its active head teachers and staff, by name."""
    rows = Membership.objects.filter(
        school_id=school_class.school_id, is_active=True,
        role__in=[Role.HEAD_TEACHER, Role.STAFF]).select_related("user") \
        .order_by("user__full_name", "user_id")
    seen: dict[int, str] = {}
    for m in rows:
        seen.setdefault(m.user_id, m.user.full_name or m.user.username)
    return list(seen.items())


@transaction.atomic
def keeper_allow(*, school_class: SchoolClass, user_id: int, by, request=None
                 ) -> RegisterKeeper:
    """Allow a member of the school's staff (`user_id`, a head teacher or
    staff member of the school) to keep `school_class`'s register. Raises
    PermissionDenied unless `by` holds attendance.allow_keeper at the
    school, ValidationError({"user": …}) for anyone else."""
    if not access.can(by, AttendancePerm.ALLOW_KEEPER, school_class.school):
        raise PermissionDenied
    if user_id not in dict(keeper_choices(school_class)):
        raise ValidationError({"user": _("Choose a member of the school's staff.")})
    keeper, _created = RegisterKeeper.objects.get_or_create(
        school_class=school_class, user_id=user_id, defaults={"granted_by": by})
    _announce("register.allow_keeper", by=by, obj=keeper, school_id=school_class.school_id,
              request=request, subject_user=user_id)
    return keeper


@transaction.atomic
def keeper_remove(*, keeper: RegisterKeeper, by, request=None) -> None:
    """Take back a teacher's leave to keep a class's register. Raises
    PermissionDenied unless `by` holds attendance.allow_keeper there."""
    if not access.can(by, AttendancePerm.ALLOW_KEEPER, keeper.school_class.school):
        raise PermissionDenied
    _announce("register.remove_keeper", by=by, obj=keeper,
              school_id=keeper.school_class.school_id, request=request, subject_user=keeper.user_id)
    keeper.delete()
