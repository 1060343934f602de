"""A class of the world's school A with five enrolled pupils, led by the
world's head teacher, in a term that covers the autumn of 2026; "today" is
Monday 16 November 2026 (a school day), 08:30 Asia/Shanghai."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from schools.models import Membership, SchoolTerm
from schools.school_year import current_school_year
from tests.conftest import shanghai
from tests.schools.factories import SchoolClassFactory
from tests.schools.pupil_factories import PupilFactory

TODAY = dt.date(2026, 11, 16)
NOW = shanghai("2026-11-16 08:30")


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def term(world):
    return SchoolTerm.objects.create(bureau=world.bureau, name="2026—2027学年第一学期",
                                     starts_on=dt.date(2026, 9, 1),
                                     ends_on=dt.date(2027, 1, 22))


@pytest.fixture
def klass(world, term):
    cls = SchoolClassFactory(school=world.school_a, grade=7, number=3,
                             school_year=current_school_year())
    Membership.objects.get(user=world.head_teacher, school=world.school_a).classes.add(cls)
    cls.pupils_made = [PupilFactory(school=world.school_a, current_class=cls,
                                    name=f"学生{n}") for n in range(1, 6)]
    return cls
