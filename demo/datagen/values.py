"""Helpers every part of the generator uses: weighted draws, money in cents, calendar months."""

import calendar
import itertools
from datetime import date
from decimal import Decimal

ZERO = Decimal("0.00")


def weighted(pairs):
    """A tuple repeating each value by its weight: `rng.choice` on it is a fast weighted draw."""
    return tuple(
        itertools.chain.from_iterable(itertools.repeat(value, weight) for value, weight in pairs)
    )


def money(cents):
    return Decimal(cents).scaleb(-2)


def add_months(day, months):
    """As relationships.services counts billing periods: the same day, or the month's last."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
