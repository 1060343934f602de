"""The school year (学年): the unit a class, an enrolment and a head teacher's
classes belong to.

A school year is named by the calendar year it starts in: 2026 is the
2026—2027 学年, from 1 September 2026 to 31 August 2027. Rule: the national
school calendar (教育部 校历: the autumn term, and with it the school year,
opens in September); summer (July–August) still belongs to the year that is
ending, so a class list does not change before the new year's classes exist.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from core import clock

# The first month of a school year (September).
FIRST_MONTH = 9


def school_year_of(day: dt.date) -> int:
    """The school year (its starting calendar year, e.g. 2026) that `day`
    (an Asia/Shanghai date) falls in."""
    return day.year if day.month >= FIRST_MONTH else day.year - 1


def current_school_year(at: dt.datetime | None = None) -> int:
    """The school year of today in Asia/Shanghai (or of `at`)."""
    return school_year_of(clock.today(at))


def first_day(year: int) -> dt.date:
    """1 September of school year `year`."""
    return dt.date(year, FIRST_MONTH, 1)


def label(year: int) -> str:
    """"2026—2027学年" (translated), for pages and spreadsheets."""
    return _("%(start)s–%(end)s school year") % {"start": year, "end": year + 1}
