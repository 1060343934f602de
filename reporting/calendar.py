"""The campaign's reporting calendar as a pure rule, until deadlines become rows.

Schools report on the 13th and the 24th of every month; the year-end work
summary is due on 24 December. Issue #3 replaces this with generated Deadline
rows (which a bureau admin can move); the home page reads it through
reporting.selectors so that swap touches one function.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

REPORT_DAYS = (13, 24)
YEAR_END = (12, 24)


@dataclass(frozen=True)
class DueDate:
    date: dt.date
    is_year_end: bool


def next_due_date(today: dt.date) -> DueDate:
    """The first reporting day on or after `today`."""
    year, month = today.year, today.month
    while True:
        for day in REPORT_DAYS:
            candidate = dt.date(year, month, day)
            if candidate >= today:
                return DueDate(candidate, (month, day) == YEAR_END)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
