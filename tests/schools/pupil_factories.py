"""Factories for pupils and the child-level records hanging off them (issue 9).

Shared by every helper's tests: PupilFactory (a valid "G" + GB 11643 学籍号
matching the date of birth), GuardianFactory, CircumstanceFactory and
EnrolmentFactory. Names are obviously made up; a test that must prove a name
does not leak passes its own canary name.
"""

import datetime as dt

import factory

from schools.pupil_models import (
    Circumstance,
    Enrolment,
    Gender,
    Guardian,
    GuardianRelationship,
    PriorityGroup,
    Pupil,
    PupilStatus,
)
from schools.school_year import current_school_year
from schools.student_numbers import id_check_character
from tests.schools.factories import SchoolFactory

# A region code of Hangzhou (330102), for made-up ID numbers.
REGION = "330102"


def student_number_for(date_of_birth: dt.date, serial: int) -> str:
    """A valid 学籍号 "G" + an 18-character ID number (GB 11643-1999) for a
    child born on `date_of_birth`; `serial` (0–999) tells two apart."""
    first17 = f"{REGION}{date_of_birth:%Y%m%d}{serial % 1000:03d}"
    return f"G{first17}{id_check_character(first17)}"


class PupilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pupil

    school = factory.SubFactory(SchoolFactory)
    bureau = factory.SelfAttribute("school.bureau")
    name = factory.Sequence(lambda n: f"测试学生{n}")
    gender = factory.Iterator([Gender.MALE, Gender.FEMALE])
    # One birthday per pupil made (2015-09-01 onward): with the serial below,
    # every 学籍号 in a test run is different.
    date_of_birth = factory.Sequence(lambda n: dt.date(2015, 9, 1) + dt.timedelta(days=n % 3000))
    student_number = factory.LazyAttributeSequence(
        lambda o, n: student_number_for(o.date_of_birth, n))
    status = PupilStatus.ENROLLED
    current_class = None


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    pupil = factory.SubFactory(PupilFactory)
    school = factory.SelfAttribute("pupil.school")
    school_year = factory.LazyFunction(current_school_year)
    school_class = factory.SelfAttribute("pupil.current_class")


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    pupil = factory.SubFactory(PupilFactory)
    name = factory.Sequence(lambda n: f"测试家长{n}")
    relationship = GuardianRelationship.MOTHER
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    is_primary = False


class CircumstanceFactory(factory.django.DjangoModelFactory):
    """A current circumstance (since 2020-01-01, no end) of LEFT_BEHIND by
    default; an IN_DIFFICULTY one gets a difficulty type unless given."""

    class Meta:
        model = Circumstance

    pupil = factory.SubFactory(PupilFactory)
    group = PriorityGroup.LEFT_BEHIND
    difficulty_type = factory.LazyAttribute(
        lambda o: "family" if o.group == PriorityGroup.IN_DIFFICULTY else "")
    since = dt.date(2020, 1, 1)
    until = None
    note = ""
