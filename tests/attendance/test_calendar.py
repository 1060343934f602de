"""School days (schools.calendar): within the bureau's terms, on China's
working days — public holidays off, 调休 weekends on — unless the bureau
decided the day itself; a year the national calendar does not know yet falls
back to Monday–Friday; "consecutive school days" skip everything else."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from schools.calendar import (
    SchoolCalendar,
    is_school_day,
    national_working_day,
    school_days_before,
    school_days_between,
)
from schools.models import CalendarDay

pytestmark = pytest.mark.django_db


def test_a_weekday_in_term_is_a_school_day_and_the_weekend_is_not(world, term):
    assert is_school_day(world.bureau.pk, dt.date(2026, 11, 16))  # Monday
    assert not is_school_day(world.bureau.pk, dt.date(2026, 11, 14))  # Saturday


def test_the_national_day_holiday_is_off_and_its_make_up_saturday_is_on(world, term):
    assert not is_school_day(world.bureau.pk, dt.date(2026, 10, 1))
    assert not is_school_day(world.bureau.pk, dt.date(2026, 10, 7))
    assert is_school_day(world.bureau.pk, dt.date(2026, 10, 10))  # 调休: a Saturday worked


def test_no_day_outside_a_term_is_a_school_day(world, term):
    assert not is_school_day(world.bureau.pk, dt.date(2026, 8, 31))  # a Monday in summer
    assert not is_school_day(world.other_bureau.pk, dt.date(2026, 11, 16))  # no term set


def test_the_bureaus_own_closure_and_make_up_day_win(world, term):
    CalendarDay.objects.create(bureau=world.bureau, day=dt.date(2026, 11, 17), reason="暴雪停课")
    CalendarDay.objects.create(bureau=world.bureau, day=dt.date(2026, 11, 21),
                               is_school_day=True, reason="补课")
    assert not is_school_day(world.bureau.pk, dt.date(2026, 11, 17))
    assert is_school_day(world.bureau.pk, dt.date(2026, 11, 21))
    assert is_school_day(world.other_bureau.pk, dt.date(2026, 11, 17)) is False  # no term


def test_a_year_the_library_does_not_know_counts_monday_to_friday(caplog):
    with caplog.at_level(logging.WARNING, logger="schools.calendar"):
        assert national_working_day(dt.date(2031, 3, 3))  # a Monday
        assert not national_working_day(dt.date(2031, 3, 1))  # a Saturday
    assert "2031" in caplog.text


def test_consecutive_school_days_skip_weekends_holidays_and_closures(world, term):
    CalendarDay.objects.create(bureau=world.bureau, day=dt.date(2026, 11, 12), reason="停课")
    days = school_days_before(world.bureau.pk, dt.date(2026, 11, 16), 3)
    assert days == [dt.date(2026, 11, 16), dt.date(2026, 11, 13), dt.date(2026, 11, 11)]
    assert school_days_between(world.bureau.pk, dt.date(2026, 9, 28),
                               dt.date(2026, 10, 11)) == 6  # 28–30 Sept, 8–10 Oct (10th: 调休)
    assert school_days_between(world.bureau.pk, dt.date(2026, 11, 2), dt.date(2026, 11, 1)) == 0


def test_a_calendar_outside_its_span_says_so(world, term):
    calendar = SchoolCalendar(world.bureau.pk, dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    with pytest.raises(ValueError, match="outside"):
        calendar.is_school_day(dt.date(2026, 12, 1))
