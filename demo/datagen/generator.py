"""The generator: one random stream per customer, and the rows of every table for it."""

import random
from datetime import datetime, timedelta

from .billing import BillingRows
from .drafts import WORKDAY_START, Batch, Draft
from .locales import LOCALE_DRAW, LOCALES
from .people import SOURCE_DRAW, PeopleRows
from .pools import Pools
from .processes import ProcessRows
from .relationships import RelationshipRows
from .tables import CUSTOMERS

# Customers first contacted up to this many days ago, so histories span several years.
HISTORY_DAYS = 8 * 365


class DataGenerator(PeopleRows, RelationshipRows, BillingRows, ProcessRows):
    """Rows for runs of customers. `customer()` drafts one customer and calls one method per
    table; a new kind of row is one more such method, reading what the draft already holds,
    in the module of its concept (people, relationships, billing, processes)."""

    def __init__(self, *, seed, staff, segments, today, tz, ids, flows=None, campaign=None):
        self.seed = seed
        self.staff = staff
        self.segments = segments
        self.today = today
        self.tz = tz
        self.ids = ids
        self.flows = flows or {}
        self.campaign = campaign
        self.rng = random.Random()
        self.pools = {locale.code: Pools.drawn(locale, seed) for locale in LOCALES}
        # Nothing generated happens on or after today's midnight, so it is all in the past.
        self.horizon = datetime.combine(today, datetime.min.time(), tzinfo=tz)
        self.finance = staff.finance or staff.authors
        self.service = staff.service or staff.authors
        self.approvers = tuple(dict.fromkeys(staff.managers))

    def batch(self, ordinals) -> Batch:
        batch = Batch()
        for ordinal in ordinals:
            # One stream per customer: the data does not depend on where the batches are cut.
            self.rng.seed((self.seed << 40) + ordinal)
            self.customer(batch)
        return batch

    def customer(self, batch):
        rng, staff = self.rng, self.staff
        locale = rng.choice(LOCALE_DRAW)
        lifetime = rng.randint(1, HISTORY_DAYS)
        first_contact_on = self.today - timedelta(days=lifetime)
        owner = rng.choice(staff.owners)
        draft = Draft(
            id=self.ids[CUSTOMERS](),
            locale=locale,
            pools=self.pools[locale.code],
            organisation=rng.random() < 0.62,
            lifetime=lifetime,
            first_contact_on=first_contact_on,
            owner=owner,
            created_by=owner if rng.random() < 0.7 else rng.choice(staff.creators),
            source=rng.choice(SOURCE_DRAW),
            midnight=datetime.combine(first_contact_on, datetime.min.time(), tzinfo=self.tz),
            first_seconds=rng.randrange(WORKDAY_START, 12 * 3600),
        )
        row = self.identity(draft)
        self.relationships(draft, batch)
        self.contacts(draft, batch)
        self.interactions(draft, batch)
        self.customer_segments(draft, batch)
        self.contracts(draft, batch)
        self.payouts(draft, batch)
        self.assets(draft, batch)
        if self.flows:
            self.sales(draft, batch)
            self.tickets(draft, batch)
            self.retention(draft, batch)
        latest = draft.relationships[-1]
        first_contact_at = draft.at(0, draft.first_seconds)
        batch.rows[CUSTOMERS].append(
            (
                *row,
                latest.status,
                latest.kind,
                draft.last_contact_at,
                first_contact_at,
                max(first_contact_at, draft.changed_at),
                draft.created_by,
            )
        )
