"""On PostgreSQL the database itself refuses to change or delete an audit entry, whoever
asks (the model refuses too, on every database). TRUNCATE is left alone: the test
runner empties tables with it, and only the database owner may run it."""

from django.db import migrations

CREATE = """
CREATE FUNCTION people_auditentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'people_auditentry is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER people_auditentry_append_only
    BEFORE UPDATE OR DELETE ON people_auditentry
    FOR EACH ROW EXECUTE FUNCTION people_auditentry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS people_auditentry_append_only ON people_auditentry;
DROP FUNCTION IF EXISTS people_auditentry_append_only();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # the SQL has a literal %

    return run


class Migration(migrations.Migration):
    dependencies = [("people", "0002_role_requests_and_audit")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
