"""An asset's serial number is unique per model whatever its case ("cnr123" is CNR123), and an
installation date is not after today.

Rows that the old, case-sensitive rule let in as twins ("CNR123" and "cnr123" of one model) would
make the new unique index fail to build. They are not merged or deleted (documents and tickets
may point at either): the oldest row of each group keeps its serial number, and every later one
gets its own id appended, "cnr123 (duplicate of asset 17, this is 42)" shortened to fit, so that
the migration succeeds, nothing is lost and a person finds the twins by searching for the
serial number and decides which one is real. The migration logs each row it renames. The demo
data has no such twins (its serial numbers are a prefix and a permuted id, unique by
construction).

The installation date moves from the BUSINESS window (1900-2100) to PAST (1970 to today): the
database check's edges become 1970-01-01 and 2100-12-31 (today is the validator's), added NOT
VALID on PostgreSQL, as every window check is, so a stored earlier date does not fail the
migration (`manage.py check_bounds` lists it).
"""

import datetime
import itertools
import logging

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models import Count, Min
from django.db.models.functions import Lower

import core.bounds
import core.migration_ops

logger = logging.getLogger(__name__)

SERIAL_MAX_LENGTH = 100


def _renamed(serial, *, kept, pk, taken):
    """`serial` with a note naming both rows, cut to fit; another note should a serial number
    typed that way exist already."""
    for attempt in itertools.count():
        if attempt == 0:
            note = f" (duplicate of asset {kept}, this is {pk})"
        else:
            note = f" (duplicate {pk}.{attempt})"
        candidate = serial[: SERIAL_MAX_LENGTH - len(note)] + note
        if candidate.lower() not in taken:
            return candidate


def rename_case_twins(apps, schema_editor):
    Asset = apps.get_model("relationships", "Asset")
    db = schema_editor.connection.alias
    assets = Asset.objects.using(db)
    groups = (
        assets.annotate(model_key=Lower("model"), serial_key=Lower("serial_number"))
        .values("model_key", "serial_key")
        .annotate(rows=Count("id"), kept=Min("id"))
        .filter(rows__gt=1)
        .order_by()
    )
    renamed = 0
    for group in list(groups):
        model_key, serial_key, kept = group["model_key"], group["serial_key"], group["kept"]
        twins = (
            assets.annotate(model_key=Lower("model"), serial_key=Lower("serial_number"))
            .filter(model_key=model_key, serial_key=serial_key)
            .exclude(pk=kept)
            .order_by("pk")
        )
        for twin in twins:
            taken = {
                serial.lower()
                for serial in assets.annotate(model_key=Lower("model"))
                .filter(model_key=model_key)
                .values_list("serial_number", flat=True)
            }
            serial = _renamed(twin.serial_number, kept=kept, pk=twin.pk, taken=taken)
            assets.filter(pk=twin.pk).update(serial_number=serial)
            renamed += 1
            logger.warning(
                "Asset %s: serial number %r of model %r is a case twin of asset %s; renamed to %r.",
                twin.pk,
                twin.serial_number,
                twin.model,
                kept,
                serial,
            )
    if renamed and schema_editor.connection.vendor == "postgresql":
        # The unique index is built next in this transaction; PostgreSQL refuses to build it
        # while deferred checks of this table's rows are pending ("pending trigger events").
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("relationships", "0014_payment_recorded_index"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="asset",
            name="asset_serial_unique_per_model",
        ),
        migrations.RunPython(rename_case_twins, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="asset",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("model"),
                django.db.models.functions.text.Lower("serial_number"),
                name="asset_serial_unique_per_model",
                violation_error_code="serial_taken",
                violation_error_message=(
                    "An asset of this model with this serial number already exists (capital and "
                    "small letters count as the same)."
                ),
            ),
        ),
        migrations.RemoveConstraint(
            model_name="asset",
            name="asset_installed_in_window",
        ),
        migrations.AlterField(
            model_name="asset",
            name="installed_on",
            field=models.DateField(
                blank=True,
                null=True,
                validators=[core.bounds.WindowValidator("past")],
                verbose_name="installed on",
            ),
        ),
        core.migration_ops.AddConstraintNotValid(
            model_name="asset",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("installed_on__isnull", True),
                    models.Q(
                        ("installed_on__gte", datetime.date(1970, 1, 1)),
                        ("installed_on__lte", datetime.date(2100, 12, 31)),
                    ),
                    _connector="OR",
                ),
                name="asset_installed_in_window",
                violation_error_message="A date lies outside the accepted window.",
            ),
        ),
        migrations.AlterField(
            model_name="contract",
            name="number",
            field=models.CharField(
                error_messages={"unique": "A contract with this number already exists."},
                max_length=50,
                unique=True,
                verbose_name="number",
            ),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="number",
            field=models.CharField(
                error_messages={"unique": "An invoice with this number already exists."},
                max_length=60,
                unique=True,
                verbose_name="number",
            ),
        ),
    ]
