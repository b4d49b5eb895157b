# Written by hand: the unique name's message only (makemigrations would also pick up other
# model changes in progress in this checkout).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('processes', '0017_stage_names_deferrable'),
    ]

    operations = [
        migrations.AlterField(
            model_name='processdefinition',
            name='name',
            field=models.CharField(error_messages={'unique': 'A process definition with this name already exists.'}, max_length=100, unique=True, verbose_name='name'),
        ),
    ]
