"""Attendance's demo data (called by `manage.py seed_demo`): the bureau's
terms of this school year (autumn: 1 September to the Friday before the
Spring Festival holidays; spring: late February to early July), and at the
two schools whose logins the demo prints (S001, S002) the registers of the
classes their head teachers lead for the last 10 school days before today —
today's is left to take. Most days a class has no or one absence; one pupil
of each school is truant on most days (a chronic absentee), and in one class
three pupils went home with a fever yesterday (an illness cluster). Taken
through the service with `at=` (08:10 each day, by the head teacher); every
truancy but the last school day's has its guardian call recorded, so the
last one's contact is open (and overdue) in the head teacher's 我的待办.
Idempotent: a class with any register is left alone."""

from __future__ import annotations

import datetime as dt
import hashlib

from core import clock
from schools.calendar import SchoolCalendar
from schools.models import Bureau, Membership, Pupil, Role, School, SchoolTerm
from schools.school_year import current_school_year

from . import services
from .models import ClassRegister

SCHOOL_CODES = ("S001", "S002")
DAYS = 10


def _terms(bureau: Bureau, year: int) -> None:
    for name, start, end in (
            (f"{year}—{year + 1}学年第一学期", dt.date(year, 9, 1), dt.date(year + 1, 1, 22)),
            (f"{year}—{year + 1}学年第二学期", dt.date(year + 1, 2, 24),
             dt.date(year + 1, 7, 10))):
        SchoolTerm.objects.get_or_create(bureau=bureau, name=name,
                                         defaults={"starts_on": start, "ends_on": end})


def _draw(*parts) -> int:
    """A number 0–999 fixed by `parts` (the same demo on every machine)."""
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:6], 16) % 1000


def seed(bureau: Bureau) -> None:
    """The terms, and the registers described in the module docstring."""
    year = current_school_year()
    _terms(bureau, year)
    today = clock.today()
    calendar = SchoolCalendar(bureau.pk, today - dt.timedelta(days=40),
                              today - dt.timedelta(days=1))
    days = sorted(calendar.days())[-DAYS:]
    for school in School.objects.filter(bureau=bureau, code__in=SCHOOL_CODES):
        heads = Membership.objects.filter(school=school, role=Role.HEAD_TEACHER,
                                          is_active=True).prefetch_related("classes")
        led = [(m.user, c) for m in heads for c in m.classes.all() if c.school_year == year]
        for n, (head, school_class) in enumerate(led):
            if ClassRegister.objects.filter(school_class=school_class).exists():
                continue
            pupils = list(Pupil.objects.enrolled().filter(current_class=school_class)
                          .order_by("pk").values_list("pk", flat=True))
            if not pupils:
                continue
            for day in days:
                marks = _marks(school_class.pk, pupils, day, chronic=n == 0,
                               cluster=n == 1 and day == days[-1])
                taken = clock.start_of_day(day) + dt.timedelta(hours=8, minutes=10)
                register = services.register_take(school_class=school_class, marks=marks,
                                                  by=head, at=taken)
                if day == days[-1]:
                    continue  # the last day's truancy is still to be followed up
                for mark in register.marks.filter(code="truant").select_related("pupil"):
                    services.contact_record(
                        register=register, pupil=mark.pupil, method="phone", reached=True,
                        reason="家长称孩子不愿上学，正在劝说",
                        expected_back_on=day + dt.timedelta(days=1),
                        by=head, at=taken + dt.timedelta(minutes=40))


def _marks(class_id: int, pupils: list[int], day: dt.date, *, chronic: bool,
           cluster: bool) -> list[services.MarkInput]:
    marks: dict[int, services.MarkInput] = {}
    if chronic and _draw(class_id, day, "chronic") < 700:
        marks[pupils[0]] = services.MarkInput(pupils[0], "truant")
    if cluster:
        for pk in pupils[3:6]:
            marks[pk] = services.MarkInput(pk, "sick_leave", symptom="fever",
                                           leave_source="guardian_call",
                                           leave_reason="发热，家长接回")
    for pk in pupils[6:]:
        draw = _draw(class_id, pk, day)
        if draw < 12:
            marks[pk] = services.MarkInput(pk, "late", session="am")
        elif draw < 20:
            marks[pk] = services.MarkInput(pk, "sick_leave", symptom="cough",
                                           leave_source="guardian_call")
        elif draw < 26:
            marks[pk] = services.MarkInput(pk, "personal_leave", session="pm",
                                           leave_source="note", leave_reason="家中有事")
    return list(marks.values())
