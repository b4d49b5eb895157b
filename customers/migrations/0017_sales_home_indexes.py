from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0016_customer_value_table"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("status", "merged"), _negated=True),
                fields=["owner", "last_contact_at", "id"],
                include=("status",),
                name="customer_owner_contact_idx",
            ),
        ),
    ]
