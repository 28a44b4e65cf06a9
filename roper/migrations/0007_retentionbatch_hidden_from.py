"""Who a retention batch is concealed from is data (`hidden_from`), no longer encoded in its
rule key as `<rule>~<base-36 ids>`, which overflowed the key's 40 characters with more than a
few such people."""

from django.db import migrations, models


def key_to_data(apps, schema_editor):
    RetentionBatch = apps.get_model("roper", "RetentionBatch")
    for batch in RetentionBatch.objects.filter(rule__contains="~"):
        rule, _, names = batch.rule.partition("~")
        batch.rule = rule
        batch.hidden_from = sorted(int(n, 36) for n in names.split(".") if n)
        batch.save(update_fields=["rule", "hidden_from"])


class Migration(migrations.Migration):
    dependencies = [
        ("roper", "0006_accesslog_refused_and_append_only"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="retentionbatch",
            name="retention_batch_once_a_month",
        ),
        migrations.AddField(
            model_name="retentionbatch",
            name="hidden_from",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(key_to_data, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="retentionbatch",
            constraint=models.UniqueConstraint(
                fields=("school", "rule", "month", "hidden_from"),
                name="retention_batch_once_a_month",
            ),
        ),
    ]
