"""Migration operations shared by the domain apps."""

from django.db import migrations, models


class AddConstraintNotValid(migrations.AddConstraint):
    """AddConstraint that, for a CHECK constraint on PostgreSQL, adds it NOT VALID: every row
    written from then on is checked, while rows already stored are left as they are instead of
    failing the migration (a production database may hold a date such as 0001-01-01 from before
    the check existed). `manage.py check_bounds` lists those rows; once they are fixed,
    `ALTER TABLE … VALIDATE CONSTRAINT …` makes the check cover them too.

    The migration state is AddConstraint's, so makemigrations sees the constraint as added. On
    other databases (SQLite is for development) the constraint is added as usual.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if (
            schema_editor.connection.vendor != "postgresql"
            or not isinstance(self.constraint, models.CheckConstraint)
            or not self.allow_migrate_model(schema_editor.connection.alias, model)
        ):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        statement = self.constraint.create_sql(model, schema_editor)
        schema_editor.execute(f"{statement} NOT VALID", params=None)

    def describe(self):
        return f"{super().describe()} (not validating existing rows on PostgreSQL)"
