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
