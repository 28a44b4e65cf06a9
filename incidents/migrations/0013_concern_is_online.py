from django.db import migrations, models


def copy_from_category(apps, schema_editor):
    """Each concern takes its category's `is_online` as it is now: what the OSL's rule read
    until now, so that nobody sees more or less on the day of the migration. (The category
    as it was at the report is not known for every one: the seeded categories have no
    history row.)"""
    Concern = apps.get_model("incidents", "Concern")
    Concern.objects.filter(category__is_online=True).update(is_online=True)


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0012_report_joins_from_the_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='concern',
            name='is_online',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='historicalconcern',
            name='is_online',
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(copy_from_category, migrations.RunPython.noop),
    ]
