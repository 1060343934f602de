"""The one clock of the portal.

Every service that stamps or compares a time takes `at=` and defaults it to
`now()`, so demo data can be written "as of" a past moment and tests pin the
clock with time_machine instead of patching `timezone.now`. Times are aware
datetimes (UTC inside, Asia/Shanghai for dates: settings.TIME_ZONE).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """The current instant, an aware datetime."""
    return timezone.now()


def today(at: dt.datetime | None = None) -> dt.date:
    """The calendar date in the bureau's zone (settings.TIME_ZONE, Asia/Shanghai)
    at `at` (default: now). Not the zone a request activated: a deadline's day is
    the same for every reader."""
    return timezone.localdate(at or now(), timezone.get_default_timezone())


def start_of_day(day: dt.date) -> dt.datetime:
    """00:00:00 of `day` in the bureau's zone, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after `day` in the bureau's zone (00:00 of the next day):
    anything strictly before it happened on or before `day`."""
    return start_of_day(day + dt.timedelta(days=1))
