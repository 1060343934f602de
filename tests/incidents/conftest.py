"""Fixtures of the mandatory-reporting tests."""

import pytest

from schools.models import Role
from tests.schools.factories import MembershipFactory, bureau_member
from tests.schools.pupil_factories import PupilFactory

CANARY = "金丝雀学生"


@pytest.fixture
def people(world):
    """The world, with A's safety officer designated a mandatory-reporting
    lead, a child-protection officer of A's bureau (`officer`) and a pupil of
    A named CANARY (`pupil`)."""
    MembershipFactory(user=world.safety_officer, role=Role.REPORTING_LEAD,
                      school=world.school_a)
    world.officer = bureau_member(world.bureau, Role.PROTECTION_OFFICER,
                                  username="cp-officer")
    world.pupil = PupilFactory(school=world.school_a, name=CANARY)
    return world


@pytest.fixture
def district(world):
    """The world's three schools in the campaign since January 2026 (so that
    their monthly returns are owed: schools.models.in_period)."""
    import datetime as dt

    from schools.models import School

    School.objects.filter(pk__in=[world.school_a.pk, world.school_b.pk, world.school_c.pk]) \
        .update(joined_on=dt.date(2026, 1, 1))
    for name in ("school_a", "school_b", "school_c"):
        getattr(world, name).refresh_from_db()
    return world
