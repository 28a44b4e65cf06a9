"""Everyone a retention batch's records are concealed from is recorded on the batch
(`concealed_from`), not only the deciders of the day (`hidden_from`). A batch found before
keeps what it had: its `hidden_from` is copied. A pending or kept batch is brought up to date
when it is destroyed (its records still exist then); a batch already destroyed cannot be, its
records are gone."""

from django.db import migrations, models


def copy_hidden_from(apps, schema_editor):
    RetentionBatch = apps.get_model("roper", "RetentionBatch")
    for batch in RetentionBatch.objects.all():
        if batch.hidden_from:
            batch.concealed_from = batch.hidden_from
            batch.save(update_fields=["concealed_from"])


class Migration(migrations.Migration):
    dependencies = [
        ("roper", "0009_accesslog_record_newest"),
    ]

    operations = [
        migrations.AddField(
            model_name="retentionbatch",
            name="concealed_from",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(copy_hidden_from, migrations.RunPython.noop),
    ]
