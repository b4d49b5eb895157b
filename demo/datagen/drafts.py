"""What the generator holds while it writes a run of customers: the rows per table, the
primary keys it hands out, and the customer being drafted."""

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import models

from .locales import Locale
from .pools import Pools
from .tables import KEYED_TABLES, TABLES

WORKDAY_START = 8 * 3600
WORKDAY_END = 18 * 3600


class Batch:
    """The rows of a run of customers, per table."""

    def __init__(self):
        self.rows = {table: [] for table in TABLES}


class Ids:
    """Primary keys handed out in Python, counting on from each table's current maximum."""

    def __init__(self, using):
        self._next, self.first = {}, {}
        for table in KEYED_TABLES:
            current = table.model._base_manager.using(using).aggregate(top=models.Max("pk"))["top"]
            self.first[table] = (current or 0) + 1
            self._next[table] = itertools.count(self.first[table]).__next__

    def __getitem__(self, table):
        return self._next[table]


@dataclass(slots=True)
class Draft:
    """One customer being generated: what is decided so far, shared by the methods that write
    its rows. Days count from the first contact; day `lifetime` is today."""

    id: int
    locale: Locale
    pools: Pools
    organisation: bool
    lifetime: int
    first_contact_on: date
    owner: int
    created_by: int
    source: str
    # Midnight of the first contact, local time; every moment is this plus days and seconds.
    midnight: datetime
    first_seconds: int
    person: tuple | None = None
    domain: str = ""
    email: str = ""
    phone: str = ""
    relationships: list = field(default_factory=list)
    # (contact id, day added); the primary one, if any, comes first.
    contacts: list = field(default_factory=list)
    last_contact_at: datetime | None = None
    changed_at: datetime | None = None
    segments: list = field(default_factory=list)
    currency: str = "PLN"
    contracts: list = field(default_factory=list)
    assets: list = field(default_factory=list)

    def at(self, day, seconds):
        return self.midnight + timedelta(days=day, seconds=seconds)

    def day(self, day):
        return self.first_contact_on + timedelta(days=day)

    def day_of(self, on):
        return (on - self.first_contact_on).days
