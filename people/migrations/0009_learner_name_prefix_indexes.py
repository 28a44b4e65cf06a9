"""The desk's search by the start of a name (devices/desk.py WORD_SQL): each word typed must
begin a learner's first, preferred or last name, or be their class, compared in upper case.
Without these, PostgreSQL read every learner of the school for each Enter (0.6 ms of a
1,500-learner school's 1,500 rows); with them, a bitmap of the few whose names start so.

`text_pattern_ops`: a LIKE 'ARL%' uses a btree index only in the C collation or with this
operator class, and a school's database is often created in en_GB.UTF-8. PostgreSQL only
(SQLite, a laptop's, has no operator classes); made here, not in the model's Meta, for that
reason, so the model's state does not know them."""

from django.db import migrations

NAMES = ("legal_first_name", "preferred_name", "legal_last_name")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in NAMES:
        schema_editor.execute(
            f"CREATE INDEX learner_{column}_prefix ON people_learner "
            f"(UPPER({column}) text_pattern_ops)"
        )
    schema_editor.execute("CREATE INDEX learner_class_upper ON people_learner (UPPER(class_name))")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in NAMES:
        schema_editor.execute(f"DROP INDEX IF EXISTS learner_{column}_prefix")
    schema_editor.execute("DROP INDEX IF EXISTS learner_class_upper")


class Migration(migrations.Migration):
    dependencies = [("people", "0008_import_run_staff")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
