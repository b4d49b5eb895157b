"""Today's date for test modules that name it once, at import:

    TODAY = clock_today()

The suite's `todays_date` fixture (tests/conftest.py) sets such a module's TODAY again as each
test starts, and what the module derives from it in `dates_from(today)`, so a run that crosses
midnight in TIME_ZONE does not compare yesterday's TODAY with the code's today. A module with a
fixed TODAY (`date(2026, 6, 10)`) is left alone."""

import sys

from django.utils import timezone

FROM_THE_CLOCK = set()


def clock_today():
    FROM_THE_CLOCK.add(sys._getframe(1).f_globals["__name__"])
    return timezone.localdate()
