"""Refused attempts go into the access log too (`outcome`), and on PostgreSQL the log is
append-only in the database itself, not only in the model: a trigger refuses UPDATE, DELETE
and TRUNCATE of roper_accesslog, so no queryset `.update()`/`.delete()`, cascade or raw SQL
through the application can rewrite it.

Two exceptions, both needed by Django itself:
- the one UPDATE Django makes when a user is deleted (`on_delete=SET_NULL`: only `user_id`
  becomes NULL; the name stays);
- TRUNCATE while the session sets `roper.allow_access_log_truncate = on`. Only the test suite
  does (PGOPTIONS in pyproject.toml), for the flush between transactional tests. Whoever can
  set it can also drop the trigger: it guards against the application, not the database owner.
SQLite has no such trigger; the model still refuses `save()` of a saved row and `delete()`.
"""

from django.db import migrations, models

CREATE = """
CREATE FUNCTION roper_accesslog_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.user_id IS NULL AND to_jsonb(NEW) - 'user_id' = to_jsonb(OLD) - 'user_id' THEN
            RETURN NEW;
        END IF;
    ELSIF TG_OP = 'TRUNCATE' THEN
        IF current_setting('roper.allow_access_log_truncate', true) = 'on' THEN
            RETURN NULL;
        END IF;
    END IF;
    RAISE EXCEPTION 'The access log is append-only: % refused.', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER roper_accesslog_append_only
    BEFORE UPDATE OR DELETE ON roper_accesslog
    FOR EACH ROW EXECUTE FUNCTION roper_accesslog_append_only();
CREATE TRIGGER roper_accesslog_no_truncate
    BEFORE TRUNCATE ON roper_accesslog
    FOR EACH STATEMENT EXECUTE FUNCTION roper_accesslog_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS roper_accesslog_no_truncate ON roper_accesslog;
DROP TRIGGER IF EXISTS roper_accesslog_append_only ON roper_accesslog;
DROP FUNCTION IF EXISTS roper_accesslog_append_only();
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, None)  # no parameters: the % in the SQL is plpgsql's

    return run


class Migration(migrations.Migration):

    dependencies = [
        ('roper', '0005_notification_email_claim'),
    ]

    operations = [
        migrations.AddField(
            model_name='accesslog',
            name='outcome',
            field=models.CharField(choices=[('allowed', 'Allowed'), ('refused', 'Refused')], db_default='allowed', default='allowed', max_length=7),
        ),
        migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP)),
    ]
