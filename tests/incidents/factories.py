"""Concerns for tests, reported through the real service (so they are routed)."""

from datetime import timedelta

from django.utils import timezone

from incidents.models import Category, Concern
from incidents.services import concern_report


def category(school, key) -> Category:
    return Category.objects.get(school=school, key=key)


def report(school, reporter, key="social_media", people=(), when=None, **data) -> Concern:
    """Report a concern of category `key`. `people` is a list of (learner or user or name,
    part) pairs."""
    involvements = []
    for who, part in people:
        if isinstance(who, str):
            involvements.append({"kind": "visitor", "name": who, "part": part})
        elif hasattr(who, "upn"):
            involvements.append({"kind": "learner", "learner": who, "part": part})
        else:
            involvements.append({"kind": "staff", "staff": who, "part": part})
    fields = {
        "category": category(school, key),
        "what_happened": "Amelia said an older boy messaged her on a game.",
        "happened_at": (when or timezone.now()) - timedelta(hours=1),
        "where": "Classroom",
        **data,
    }
    if when is not None:
        fields["reported_at"] = when
    return concern_report(school=school, reporter=reporter, data=fields, involvements=involvements)


def learner_concern(world, reporter=None):
    return report(
        world.school,
        reporter or world.users["teacher"],
        "social_media",
        people=[(world.learner, "child")],
    )


def staff_allegation(world, reporter=None, about=None):
    return report(
        world.school,
        reporter or world.users["office"],
        "staff_online_conduct",
        people=[(about or world.users["leadership"], "alleged")],
    )


def head_allegation(world, reporter=None):
    return report(
        world.school,
        reporter or world.users["teacher"],
        "about_head",
        people=[(world.users["head"], "alleged")],
    )
