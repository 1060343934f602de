"""Reads behind the roster pages (学生名册, 我的班级) and the roster export.

Scoping is the access layer's: every queryset here starts from
`Pupil.objects.visible_to(user)`, so a head teacher gets the pupils of the
classes they lead this school year and nobody else gets pupils they may not
see; these functions only narrow and order. Rule: issue 9 items 4 and 8.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from core import clock

from .. import access
from ..models import Pupil, School, SchoolClass
from ..pupil_models import Circumstance, PupilStatus
from ..school_year import current_school_year
from ..student_numbers import clean_text

# The shape a typed 学籍号 has once cleaned (schools.student_numbers._SHAPE):
# 6–32 letters and digits. Anything else is searched as a name.
_NUMBER_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def roster_pupils(user, school: School, perm=None) -> QuerySet[Pupil]:
    """The pupils of `school` that `user` may see (any status), in roster
    order: grade, class number, name, id; pupils without a class last. The
    class comes with them (select_related), so a page costs one query.
    `perm` (default schools.view_pupil) narrows to the pupils the user holds
    another child-level permission on (schools.manage_roster for the export)."""
    return (Pupil.objects.visible_to(user, perm).filter(school=school)
            .select_related("current_class")
            .order_by("current_class__grade", "current_class__number", "name", "id"))


def search(queryset: QuerySet[Pupil], text: str) -> QuerySet[Pupil]:
    """`queryset` narrowed by what was typed in the search box. The text is
    cleaned (schools.student_numbers.clean_text: full-width to ASCII, no
    spaces or invisible characters). Something shaped like a 学籍号 (6–32
    letters and digits) matches a 学籍号 exactly (upper-cased, as stored);
    anything else, and a 学籍号-shaped text too, matches names containing it.
    Empty text: `queryset` unchanged."""
    value = clean_text(text or "")
    if not value:
        return queryset
    wanted = Q(name__contains=value)
    upper = value.upper()
    if 6 <= len(upper) <= 32 and set(upper) <= _NUMBER_CHARS:
        wanted |= Q(student_number=upper)
    return queryset.filter(wanted)


def with_current_circumstance(queryset: QuerySet[Pupil], group: str,
                              day: dt.date | None = None) -> QuerySet[Pupil]:
    """The pupils of `queryset` with a circumstance of priority group `group`
    current on `day` (default today, Asia/Shanghai): since ≤ day and no end
    or an end ≥ day. One EXISTS in the same query."""
    day = day or clock.today()
    current = Circumstance.objects.filter(pupil=OuterRef("pk"), group=group, since__lte=day) \
        .filter(Q(until__isnull=True) | Q(until__gte=day))
    return queryset.filter(Exists(current))


def roster_classes(user, school: School) -> QuerySet[SchoolClass]:
    """This school year's classes of `school` that hold a pupil `user` may
    see, by grade and number: the whole school's classes for its principal,
    safety officer and counselor, only their own for a head teacher (the
    roster's class filter). One query when evaluated."""
    visible = Pupil.objects.visible_to(user).filter(school=school)
    return SchoolClass.objects.filter(
        school=school, school_year=current_school_year(),
        pk__in=Subquery(visible.values("current_class_id")),
    ).order_by("grade", "number")


@dataclass
class LedClass:
    school_class: SchoolClass
    pupils: list[Pupil] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.pupils)

    @property
    def boys(self) -> int:
        return sum(1 for p in self.pupils if p.gender == "M")

    @property
    def girls(self) -> int:
        return sum(1 for p in self.pupils if p.gender == "F")

    @property
    def boarders(self) -> int:
        return sum(1 for p in self.pupils if p.boarder)


def my_classes(user) -> list[LedClass]:
    """The classes `user` leads this school year (schools.access.led_class_ids),
    by school, grade and number, each with its 在读 pupils by name. [] for a
    head teacher without a class this year and for anyone else. Two queries
    whatever the number of classes and pupils (the led classes are read with
    the user's grants, once per request)."""
    ids = sorted({cid for ids in access.led_class_ids(user).values() for cid in ids})
    if not ids:
        return []
    classes = {c.pk: LedClass(c) for c in SchoolClass.objects.filter(pk__in=ids)
               .select_related("school").order_by("school__name", "grade", "number")}
    pupils = (Pupil.objects.visible_to(user)
              .filter(current_class_id__in=ids, status=PupilStatus.ENROLLED)
              .order_by("name", "id"))
    for pupil in pupils:
        led = classes[pupil.current_class_id]
        pupil.current_class = led.school_class  # no query per pupil
        led.pupils.append(pupil)
    return list(classes.values())
