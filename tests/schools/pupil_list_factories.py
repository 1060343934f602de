"""Pupils, guardians and circumstances for the roster pages' tests.

(Kept apart from factories.py so the branches that build the pupil pages in
parallel do not edit the same lines; the lead may fold them together.)
"""

import datetime as dt

import factory

from schools.models import Pupil
from schools.pupil_models import Circumstance, Guardian
from schools.student_numbers import id_check_character


def student_number(n: int) -> str:
    """A valid 学籍号 "G" + an 18-character ID number (GB 11643) for index n."""
    born = dt.date(2015, 1, 1) + dt.timedelta(days=n // 1000)
    first17 = f"330102{born:%Y%m%d}{n % 1000:03d}"
    return f"G{first17}{id_check_character(first17)}"


class PupilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pupil

    school = None  # required
    bureau = factory.LazyAttribute(lambda p: p.school.bureau)
    student_number = factory.Sequence(student_number)
    name = factory.Sequence(lambda n: f"学生{n:04d}")
    gender = "M"
    date_of_birth = dt.date(2015, 3, 1)
    current_class = None


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    pupil = None  # required
    name = factory.Sequence(lambda n: f"家长{n:04d}")
    relationship = "mother"
    phone = factory.Sequence(lambda n: f"138{n:08d}")


class CircumstanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Circumstance

    pupil = None  # required
    group = "left_behind"
    since = dt.date(2025, 9, 1)
