"""The suite's `todays_date` fixture (tests/conftest.py, tests/dates.py): a module's TODAY from
the clock, and the dates it derives, are today's when each test starts, even if the module was
imported the day before; a fixed TODAY is left alone (tests/analytics/test_usage.py)."""

from datetime import timedelta

from django.utils import timezone

from tests.dates import clock_today

# As if this module had been imported before midnight and the test ran after it.
TODAY = clock_today() - timedelta(days=1)
TOMORROW = TODAY + timedelta(days=1)


def dates_from(today):
    return {"TOMORROW": today + timedelta(days=1)}


def test_a_module_imported_yesterday_sees_today():
    today = timezone.localdate()
    assert today == TODAY
    assert today + timedelta(days=1) == TOMORROW
