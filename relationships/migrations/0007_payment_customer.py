"""Payments carry their invoice's customer, so the scoring job reads a batch of customers'
payments as one index range. Existing payments get it from their invoice in one UPDATE (on a
large database this rewrites the payments table once; plan the upgrade for a quiet hour)."""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = """
UPDATE relationships_payment
SET customer_id = (
    SELECT i.customer_id FROM relationships_invoice i WHERE i.id = relationships_payment.invoice_id
)
WHERE customer_id IS NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_customer_created_idx"),
        ("relationships", "0006_interaction_created_idx"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="customers.customer",
                verbose_name="customer",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop, elidable=True),
        migrations.AlterField(
            model_name="payment",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="payments",
                to="customers.customer",
                verbose_name="customer",
            ),
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                fields=["customer", "invoice"],
                include=("paid_on", "amount"),
                name="payment_customer_idx",
            ),
        ),
    ]
