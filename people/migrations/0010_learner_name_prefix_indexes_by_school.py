"""The desk's search by the start of a name, as a prepared statement (devices/desk.py
PG_WORD_SQL): each name from the word typed to the word followed by the last character, in
one school. With the school first in each index, the range reads that school's few learners
whose names start so; with the name alone (0009), every school's, each read to check its
school (a trust's database holds 20 schools).

PostgreSQL only, as 0009 (SQLite has no operator classes): made here, not in the model's
Meta, so the model's state does not know them."""

from django.db import migrations

NAMES = ("legal_first_name", "preferred_name", "legal_last_name")


def by_school(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in NAMES:
        schema_editor.execute(f"DROP INDEX IF EXISTS learner_{column}_prefix")
        schema_editor.execute(
            f"CREATE INDEX learner_school_{column}_prefix ON people_learner "
            f"(school_id, UPPER({column}) text_pattern_ops)"
        )
    schema_editor.execute("DROP INDEX IF EXISTS learner_class_upper")
    schema_editor.execute(
        "CREATE INDEX learner_school_class_upper ON people_learner (school_id, UPPER(class_name))"
    )


def by_name(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in NAMES:
        schema_editor.execute(f"DROP INDEX IF EXISTS learner_school_{column}_prefix")
        schema_editor.execute(
            f"CREATE INDEX learner_{column}_prefix ON people_learner "
            f"(UPPER({column}) text_pattern_ops)"
        )
    schema_editor.execute("DROP INDEX IF EXISTS learner_school_class_upper")
    schema_editor.execute("CREATE INDEX learner_class_upper ON people_learner (UPPER(class_name))")


class Migration(migrations.Migration):
    dependencies = [("people", "0009_learner_name_prefix_indexes")]

    operations = [migrations.RunPython(by_school, by_name, elidable=False)]
