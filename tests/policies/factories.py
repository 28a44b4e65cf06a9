from datetime import date

import factory

from policies.models import Policy, PolicyVersion, TrainingSession
from tests.factories import SchoolFactory

BODY = """## 1. Policy aims

- Staff keep phones in a safe place during lessons. Phones are switched to silent.
- Learners hand their phones in at the office.
"""


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    school = factory.SubFactory(SchoolFactory)
    title = factory.Sequence(lambda n: f"Policy {n}")
    slug = factory.LazyAttribute(lambda p: p.title.lower().replace(" ", "-"))
    body = BODY
    status = Policy.Status.DRAFT


def ratified_policy(school, *, ratified_on=date(2026, 2, 1), body=BODY, **kwargs) -> Policy:
    """A ratified policy with its first version."""
    policy = PolicyFactory(
        school=school,
        body=body,
        status=Policy.Status.RATIFIED,
        ratified_on=ratified_on,
        next_review_on=date(ratified_on.year + 1, ratified_on.month, ratified_on.day),
        **kwargs,
    )
    PolicyVersion.objects.create(
        policy=policy, number=1, body=body, ratified_on=ratified_on, ratified_by="Governing Body"
    )
    return policy


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    school = factory.SubFactory(SchoolFactory)
    title = "Online safety refresher"
    held_on = date(2026, 1, 5)
    topic = TrainingSession.Topic.ONLINE_SAFETY
