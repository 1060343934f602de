"""The sample pupil of the pupil-page tests: at school A, in this school year's
class 3-1, which world.head_teacher leads; a second head teacher leads 3-2
this year; last year's head teacher led the pupil's class of last year."""

from __future__ import annotations

from dataclasses import dataclass

from schools.models import Membership, Role
from schools.school_year import current_school_year
from tests.schools.factories import SchoolClassFactory, school_member
from tests.schools.pupil_factories import EnrolmentFactory, GuardianFactory, PupilFactory


@dataclass
class PupilSetup:
    pupil: object
    own_class: object
    other_class: object
    last_year_class: object
    head_other: object
    head_last_year: object


def lead(user, school_class) -> None:
    """`user` (a head teacher at the class's school) leads `school_class`."""
    Membership.objects.get(user=user, school=school_class.school,
                           role=Role.HEAD_TEACHER).classes.add(school_class)


def sample_pupil(world, **fields) -> PupilSetup:
    year = current_school_year()
    own_class = SchoolClassFactory(school=world.school_a, grade=3, number=1, school_year=year)
    other_class = SchoolClassFactory(school=world.school_a, grade=3, number=2, school_year=year)
    last_year_class = SchoolClassFactory(school=world.school_a, grade=2, number=1,
                                         school_year=year - 1)
    lead(world.head_teacher, own_class)
    head_other = school_member(world.school_a, Role.HEAD_TEACHER, username="a-teacher-other")
    lead(head_other, other_class)
    head_last_year = school_member(world.school_a, Role.HEAD_TEACHER,
                                   username="a-teacher-last-year")
    lead(head_last_year, last_year_class)
    pupil = PupilFactory(school=world.school_a, current_class=own_class, **fields)
    EnrolmentFactory(pupil=pupil, school_year=year, school_class=own_class)
    EnrolmentFactory(pupil=pupil, school_year=year - 1, school_class=last_year_class)
    GuardianFactory(pupil=pupil, is_primary=True)
    return PupilSetup(pupil, own_class, other_class, last_year_class, head_other,
                      head_last_year)
