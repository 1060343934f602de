"""The campaign's calendar: the 13th and 24th of each month, the year-end summary."""

import datetime as dt

import pytest
import time_machine

from reporting.models import Deadline, DeadlineKind
from reporting.services import campaign_create, campaign_generate_deadlines, deadline_dates
from schools.models import School, SchoolType
from tests.conftest import SHANGHAI
from tests.schools.factories import SchoolFactory

pytestmark = pytest.mark.django_db


def create(world, start, end, types=SchoolType.values):
    return campaign_create(bureau=world.bureau, name="专项行动", start_month=start,
                           end_date=end, school_types=types)


def test_a_may_to_december_campaign_has_sixteen_reports_and_the_summary():
    dates = deadline_dates(dt.date(2026, 5, 1), dt.date(2026, 12, 31))
    progress = [d for kind, d in dates if kind == DeadlineKind.PROGRESS]
    assert len(progress) == 16
    assert progress[:3] == [dt.date(2026, 5, 13), dt.date(2026, 5, 24), dt.date(2026, 6, 13)]
    assert [d for kind, d in dates if kind == DeadlineKind.YEAR_END] == [dt.date(2026, 12, 24)]


def test_dates_outside_the_campaign_are_not_generated():
    dates = deadline_dates(dt.date(2026, 5, 1), dt.date(2026, 5, 20))
    assert dates == [(DeadlineKind.PROGRESS, dt.date(2026, 5, 13))]


def test_creating_a_campaign_generates_its_deadlines_once(world):
    campaign = create(world, dt.date(2026, 5, 9), dt.date(2026, 12, 31))
    assert campaign.start_month == dt.date(2026, 5, 1)
    assert campaign.deadlines.count() == 17
    assert campaign_generate_deadlines(campaign=campaign) == 0


def test_extending_a_campaign_adds_only_the_new_deadlines_and_keeps_moved_ones(world):
    campaign = create(world, dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    Deadline.objects.filter(due_date=dt.date(2026, 5, 24)).update(due_date=dt.date(2026, 5, 25))
    campaign.end_date = dt.date(2026, 6, 30)
    campaign.save()
    assert campaign_generate_deadlines(campaign=campaign) == 2
    assert sorted(campaign.deadlines.values_list("due_date", flat=True)) == [
        dt.date(2026, 5, 13), dt.date(2026, 5, 25), dt.date(2026, 6, 13), dt.date(2026, 6, 24)]


def test_closed_and_out_of_scope_schools_are_not_expected(world):
    with time_machine.travel(dt.datetime(2026, 4, 20, 9, 0, tzinfo=SHANGHAI), tick=False):
        world.school_b.is_open = False  # closed before the campaign's first deadline
        world.school_b.save()
    kindergarten = SchoolFactory(bureau=world.bureau, school_type=SchoolType.KINDERGARTEN)
    SchoolFactory(bureau=world.bureau, in_campaign=False)
    campaign = create(world, dt.date(2026, 5, 1), dt.date(2026, 12, 31), [SchoolType.PRIMARY])
    assert list(campaign.expected_schools()) == [world.school_a]
    assert kindergarten in School.objects.in_campaign()  # open, but not a type in scope
