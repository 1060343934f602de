import datetime as dt

import pytest

from reporting.calendar import next_due_date


@pytest.mark.parametrize(("today", "due", "year_end"), [
    (dt.date(2026, 5, 1), dt.date(2026, 5, 13), False),
    (dt.date(2026, 5, 13), dt.date(2026, 5, 13), False),
    (dt.date(2026, 5, 14), dt.date(2026, 5, 24), False),
    (dt.date(2026, 5, 25), dt.date(2026, 6, 13), False),
    (dt.date(2026, 12, 14), dt.date(2026, 12, 24), True),
    (dt.date(2026, 12, 25), dt.date(2027, 1, 13), False),
])
def test_the_next_reporting_day(today, due, year_end):
    result = next_due_date(today)
    assert (result.date, result.is_year_end) == (due, year_end)
