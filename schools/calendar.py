"""School days (上课日) of a bureau's schools: the days within one of its terms
(SchoolTerm) that are national working days — China's public holidays and
调休 working days from the State Council's yearly notice, through the
maintained `chinesecalendar` library — unless the bureau decided the day
itself (CalendarDay: a closure, or a make-up school day). Dates are
Asia/Shanghai dates.

For a year the library does not know yet (its release for the next year
comes each November), Monday to Friday are working days until it is
upgraded; the bureau's CalendarDay rows still apply, and the gap is logged
once per year.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterator

import chinese_calendar

from .calendar_models import CalendarDay, SchoolTerm

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=8)
def _unknown_year(year: int) -> None:
    logger.warning("The national calendar of %s is not known yet (upgrade chinesecalendar): "
                   "Monday to Friday count as working days.", year)


def national_working_day(day: dt.date) -> bool:
    """Is `day` a working day in China (a weekday that is not a public
    holiday, or a weekend day worked in exchange: 调休)? Source: the State
    Council's yearly notice on public holidays, via chinesecalendar."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _unknown_year(day.year)
        return day.weekday() < 5


class SchoolCalendar:
    """A bureau's school days between `first` and `last` (both included):
    two queries when made, none after."""

    def __init__(self, bureau_id: int, first: dt.date, last: dt.date):
        self.first, self.last = first, last
        self.terms = list(SchoolTerm.objects.filter(
            bureau_id=bureau_id, starts_on__lte=last, ends_on__gte=first)
            .values_list("starts_on", "ends_on"))
        self.decided = dict(CalendarDay.objects.filter(
            bureau_id=bureau_id, day__gte=first, day__lte=last)
            .values_list("day", "is_school_day"))

    def in_term(self, day: dt.date) -> bool:
        return any(start <= day <= end for start, end in self.terms)

    def is_school_day(self, day: dt.date) -> bool:
        """Raises ValueError for a day outside the span it was made for."""
        if not self.first <= day <= self.last:
            raise ValueError(f"{day} is outside {self.first}–{self.last}")
        if not self.in_term(day):
            return False
        if day in self.decided:
            return self.decided[day]
        return national_working_day(day)

    def days(self) -> Iterator[dt.date]:
        """The school days of the span, in order."""
        day = self.first
        while day <= self.last:
            if self.is_school_day(day):
                yield day
            day += dt.timedelta(days=1)


def is_school_day(bureau_id: int, day: dt.date) -> bool:
    """Is `day` a school day for the schools of bureau `bureau_id`? Two queries."""
    return SchoolCalendar(bureau_id, day, day).is_school_day(day)


def school_days_before(bureau_id: int, day: dt.date, n: int, *,
                       within_days: int = 120) -> list[dt.date]:
    """The last `n` school days up to and including `day`, latest first
    (fewer when the bureau's terms hold fewer within `within_days` calendar
    days): "3 consecutive school days" of absence skips weekends, holidays
    and closures (issue 11 item 3)."""
    calendar = SchoolCalendar(bureau_id, day - dt.timedelta(days=within_days), day)
    return sorted(calendar.days(), reverse=True)[:n]


def school_days_between(bureau_id: int, first: dt.date, last: dt.date) -> int:
    """How many school days from `first` to `last`, both included (0 when
    `last` is before `first`)."""
    if last < first:
        return 0
    return sum(1 for _day in SchoolCalendar(bureau_id, first, last).days())
