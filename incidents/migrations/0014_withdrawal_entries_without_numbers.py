import re

from django.db import migrations

#: What `concern_withdraw` wrote until now for a duplicate: its label, then the number of
#: the concern it duplicates, which the reporter read on the timeline (and which may be an
#: allegation about them). The number stays on the concern (`duplicate_of`), linked on the
#: page for those who may open it.
NUMBERED = re.compile(r"^(A duplicate of another concern) \(concern #\d+\)\.")


def drop_numbers(apps, schema_editor):
    """The withdrawal entries, and their history rows, without the other concern's number."""
    for name in ("Entry", "HistoricalEntry"):
        model = apps.get_model("incidents", name)
        rows = model.objects.filter(
            kind="withdrawal", text__startswith="A duplicate of another concern (concern #"
        )
        pk = model._meta.pk.attname
        for row_pk, text in rows.values_list(pk, "text"):
            model.objects.filter(**{pk: row_pk}).update(text=NUMBERED.sub(r"\1.", text, count=1))


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0013_concern_is_online'),
    ]

    # Backwards: the numbers are not written back.
    operations = [migrations.RunPython(drop_numbers, migrations.RunPython.noop)]
