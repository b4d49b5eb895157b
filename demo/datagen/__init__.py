"""Deterministic bulk data: customers with their whole history, for demos and load tests.

Each customer is drawn from its own random stream, seeded with the run's seed and the customer's
ordinal, so the same seed gives the same data whatever the batch size. Primary keys are assigned
here, counting on from the tables' current maxima, so a batch's rows reference their parents
without a round trip; a writer then streams each batch in one transaction (COPY on PostgreSQL,
executemany elsewhere).

Where things are: `run.generate` drives a run; `generator.DataGenerator` draws each customer and
writes its rows through one method per table, grouped by concept in `people`, `relationships`,
`billing` and `processes`; `tables` lists the tables and their columns; `locales`,
`identifiers` and `pools` (names and streets from Faker) supply the content; `staff` and
`definitions` are the users and reference rows the data points at; `writers` load the batches.

To add a kind of row: declare a `Table` in `tables`, add it to `TABLES` after the tables it
references, and emit its rows from a `DataGenerator` method called per customer.

Billing: signed contracts only in an active current relationship (so their customer is active);
recurring ones get one invoice per started period (relationships.services.billing_periods), and
their terms keep that to at most MAX_PERIODS (12), so the billing job finds nothing left to bill.
Payments add up to each invoice's paid amount. Processes: the definitions (PROCESS_SPECS) are
created once by name through the ORM; every instance is bulk-written with its transition log,
work, cost (fixed costs of the stages entered + work at the hourly rate), stage deadline and
ticket SLA times computed as processes.services computes them, and a collection case for every
invoice still unpaid after the grace period. Only the few tasks and the pending discount
approval at the end of a run go through the services (`add_worklist`); the watch job is left
to load_demo or the scheduler. Not generated: documents (they need files), contract history
rows, interactions about invoices, and the approvals behind written-off collection cases.

Faker, which draws the names and streets, comes with the `demo` extra and is imported only when
a run starts (`pools.require_faker`), so the app loads without it.
"""

from .pools import FakerMissing, require_faker
from .run import Progress, generate, parse_size
from .staff import Staff, ensure_teams

__all__ = [
    "FakerMissing",
    "Progress",
    "Staff",
    "ensure_teams",
    "generate",
    "parse_size",
    "require_faker",
]
