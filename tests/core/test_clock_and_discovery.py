"""core.clock (one now, the bureau's day) and core.discovery."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from core import clock
from core.discovery import app_modules


@time_machine.travel(dt.datetime(2026, 5, 13, 16, 30, tzinfo=dt.UTC), tick=False)
def test_today_is_the_bureau_s_date_whatever_zone_a_request_activated():
    # 16:30 UTC is 00:30 on the 14th in Asia/Shanghai.
    with timezone.override("America/New_York"):
        assert clock.today() == dt.date(2026, 5, 14)
    assert clock.now() == dt.datetime(2026, 5, 13, 16, 30, tzinfo=dt.UTC)


def test_a_day_ends_at_midnight_in_asia_shanghai():
    end = clock.end_of_day(dt.date(2026, 5, 13))
    assert end == dt.datetime(2026, 5, 13, 16, 0, tzinfo=dt.UTC)
    assert clock.start_of_day(dt.date(2026, 5, 14)) == end


def test_discovery_finds_each_app_s_module_in_installed_apps_order():
    names = [m.__name__ for m in app_modules("schedules")]
    assert names[:1] == ["schools.schedules"]
    assert "reporting.schedules" in names
    assert "notifications.schedules" in names


def test_discovery_refuses_a_module_name_it_does_not_know():
    with pytest.raises(ValueError, match="unknown"):
        app_modules("schedule")
