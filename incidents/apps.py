from django.apps import AppConfig
from django.db.models.signals import post_save


def _seed_new_school(sender, instance, created, raw=False, **kwargs):
    """A new school starts with the default categories (DESIGN.md's routing table)."""
    if created and not raw:
        from incidents.routing import categories_seed

        categories_seed(school=instance)


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self):
        post_save.connect(_seed_new_school, sender="people.School", dispatch_uid="incidents_seed")
