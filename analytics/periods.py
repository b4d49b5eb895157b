"""Periods of whole days and the months they fall in: the date arithmetic every report, the
forecast and its weekly snapshot share. Nothing here reads the database or another module of
analytics, so any of them may import it."""

from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from django.utils import formats


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end`, both included."""

    start: date
    end: date

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def __str__(self):
        """As the reader writes dates (01.01.2026 - 07.12.2026 in Polish, Czech and Russian)."""
        start, end = (
            formats.date_format(day, "SHORT_DATE_FORMAT") for day in (self.start, self.end)
        )
        return f"{start} - {end}"


def month_start(day, months_back=0):
    """The first day of `day`'s month, or of the month `months_back` months before it."""
    year, month = day.year, day.month - months_back
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1)


def month_end(first):
    """The last day of the month of `first`."""
    return first.replace(day=monthrange(first.year, first.month)[1])
