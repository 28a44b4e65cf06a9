from django.apps import AppConfig
from django.db.models.signals import post_save
from django.urls import reverse


def _seed_new_school(sender, instance, created, raw=False, **kwargs):
    """A new school starts with the default categories (DESIGN.md's routing table)."""
    if created and not raw:
        from incidents.routing import categories_seed

        categories_seed(school=instance)


def _concern_links(user, numbers) -> dict[int, str]:
    """{number: URL} of the concerns of `numbers` the user sees in full."""
    from incidents.visibility import concerns_triaged_by

    seen = concerns_triaged_by(user).filter(pk__in=numbers).values_list("pk", flat=True)
    return {pk: reverse("incidents:detail", args=[pk]) for pk in seen}


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self):
        from incidents.visibility import without_concealed
        from policies.concerns import ConcernSecrecy
        from policies.concerns import register as policies_register
        from roper.navigation import NavItem, register, register_landing
        from roper.permissions import audit

        post_save.connect(_seed_new_school, sender="people.School", dispatch_uid="incidents_seed")
        # Policies shows a review trigger, and the number of the concern that opened it, by
        # this app's secrecy rule (policies does not import incidents).
        policies_register(ConcernSecrecy(without_concealed=without_concealed, links=_concern_links))
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
                "My actions",
                "incidents:actions",
                "incidents.report",
                "Actions on concerns given to you.",
                order=35,
            ),
            NavItem(
                "Concerns", "incidents:dashboard", "incidents.triage", "Triage dashboard.", order=40
            ),
            NavItem(
                "Filtering review",
                "incidents:filtering",
                "incidents.filtering.view",
                "The annual filtering and monitoring review (DfE standards).",
                order=95,
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
