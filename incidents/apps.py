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
        from roper.navigation import NavItem, register, register_landing
        from roper.permissions import audit

        post_save.connect(_seed_new_school, sender="people.School", dispatch_uid="incidents_seed")
        register(
            NavItem(
                "Report a concern",
                "incidents:new",
                "incidents.report",
                "Tell the DSL about a concern.",
                order=20,
            ),
            NavItem(
                "My reports",
                "incidents:mine",
                "incidents.report",
                "Concerns you reported.",
                order=30,
            ),
            NavItem(
                "Concerns", "incidents:dashboard", "incidents.triage", "Triage dashboard.", order=40
            ),
        )
        register_landing("incidents.triage", "incidents:dashboard", order=1)
        audit(
            "incidents.concern",
            "incidents.report",
            lambda c: {"obj": c, "what": f"concern #{c.pk}"},
        )
        audit(
            "incidents.evidence",
            "incidents.report",
            lambda e: {
                "obj": e.concern,
                "what": f"evidence {e.pk} of concern #{e.concern_id}",
                "action": "download",
            },
        )
