"""Transaction-scoped locks on values that are not rows yet: "nobody else registers a customer
called Novák until I have", where there is no row to SELECT ... FOR UPDATE.

On PostgreSQL each key becomes a `pg_advisory_xact_lock`, held until the transaction commits or
rolls back, so a check made after taking it sees whatever the previous holder saved. SQLite
needs none: its IMMEDIATE transactions (crm.settings) already let one writer in at a time.
"""

import hashlib

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.transaction import TransactionManagementError


def lock_id(key: str) -> int:
    """A stable signed 64-bit id for `key` (Python's hash() changes between processes)."""
    digest = hashlib.blake2b(key.encode(), digest_size=8, person=b"crm-locks").digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_keys(*keys: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Wait for and hold the locks of `keys` (empty keys are skipped) until the transaction ends.

    Taken in one fixed order, so two transactions that want overlapping sets never deadlock.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise TransactionManagementError("lock_keys() holds its locks until the transaction ends.")
    if connection.vendor != "postgresql":
        return
    ids = sorted({lock_id(key) for key in keys if key})
    with connection.cursor() as cursor:
        for ident in ids:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ident])
