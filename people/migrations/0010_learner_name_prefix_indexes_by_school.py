"""The desk's search by the start of a name, as a prepared statement (devices/desk.py
PG_WORD_SQL): each name from the word typed to the word followed by the last character, in
one school. With the school first in each index, the range reads that school's few learners
whose names start so; with the name alone (0009), every school's, each read to check its
school (a trust's database holds 20 schools).

PostgreSQL only, as 0009 (SQLite has no operator classes): made here, not in the model's
Meta, so the model's state does not know them."""

from django.db import migrations

NAMES = ("legal_first_name", "preferred_name", "legal_last_name")
#: Index name -> what it indexes, before (0009) and after.
BY_NAME = {
    **{f"learner_{c}_prefix": f"(UPPER({c}) text_pattern_ops)" for c in NAMES},
    "learner_class_upper": "(UPPER(class_name))",
}
BY_SCHOOL = {
    **{f"learner_school_{c}_prefix": f"(school_id, UPPER({c}) text_pattern_ops)" for c in NAMES},
    "learner_school_class_upper": "(school_id, UPPER(class_name))",
}


def _replace(old: dict, new: dict):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name in old:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        for name, columns in new.items():
            schema_editor.execute(f"CREATE INDEX {name} ON people_learner {columns}")

    return run


class Migration(migrations.Migration):
    dependencies = [("people", "0009_learner_name_prefix_indexes")]

    operations = [
        migrations.RunPython(_replace(BY_NAME, BY_SCHOOL), _replace(BY_SCHOOL, BY_NAME), elidable=False)
    ]
