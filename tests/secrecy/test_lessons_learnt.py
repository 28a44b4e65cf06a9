"""Lessons learnt from a concern open a policy review, and the review tells no one of a
concern concealed from them: not on the policy page, not in their notifications, and its
number only to those who see the concern in full."""

from django.core import mail
from django.urls import reverse

from incidents.services import concern_close
from policies.models import ReviewTrigger
from tests.factories import (
    MembershipFactory,
    head_allegation,
    learner_concern,
    ratified_policy,
    report,
)

LESSON = "Allegations about the head must reach the chair on the day."


def _close(concern, by, policy):
    concern_close(
        concern=concern,
        by=by,
        decision="Referred to the LADO",
        reason="Advice followed",
        outcome="Closed",
        lessons_learnt=LESSON,
        policy=policy,
    )


def test_a_review_from_an_allegation_about_the_head_is_not_shown_to_the_head(world, as_user):
    policy = ratified_policy(world.school)
    allegation = head_allegation(world)
    mail.outbox.clear()
    _close(allegation, world.users["chair"], policy)
    url = reverse("policies:detail", args=[policy.slug])

    head_page = as_user(world.users["head"]).get(url).content.decode()
    assert LESSON not in head_page
    assert "Lessons learnt from a concern" not in head_page
    assert str(allegation.pk) not in head_page
    assert not [m for m in mail.outbox if world.users["head"].email in m.to]

    chair_page = as_user(world.users["chair"]).get(url).content.decode()
    assert LESSON in chair_page
    assert reverse("incidents:detail", args=[allegation.pk]) in chair_page


def test_a_review_names_its_concern_only_to_those_who_see_it_in_full(world, as_user):
    policy = ratified_policy(world.school)
    concern = learner_concern(world)
    _close(concern, world.users["dsl"], policy)
    url = reverse("policies:detail", args=[policy.slug])

    teacher_page = as_user(world.users["teacher"]).get(url).content.decode()
    assert "lessons learnt from a safeguarding concern" in teacher_page
    assert str(concern.pk) not in teacher_page

    dsl_page = as_user(world.users["dsl"]).get(url).content.decode()
    assert reverse("incidents:detail", args=[concern.pk]) in dsl_page


def test_the_admin_named_in_an_allegation_cannot_find_its_lessons_in_the_django_admin(
    world, as_user
):
    """The IT admin is named in an allegation whose lessons learnt open a review: the
    trigger is neither listed at /admin/policies/reviewtrigger/ nor opened there (404), as
    on the policy page."""
    admin = world.users["admin"]
    policy = ratified_policy(world.school)
    allegation = report(
        world.school,
        world.users["teacher"],
        "staff_online_conduct",
        people=[(admin, "alleged")],
        what_happened="The technician messaged a pupil.",
    )
    _close(allegation, world.users["head"], policy)
    trigger = ReviewTrigger.objects.get(concern_number=allegation.pk)
    client = as_user(admin)

    listing = client.get(reverse("admin:policies_reviewtrigger_changelist"))
    assert listing.status_code == 200
    assert "Lessons learnt from a concern" not in listing.content.decode()
    for view in ("change", "history"):
        url = reverse(f"admin:policies_reviewtrigger_{view}", args=[trigger.pk])
        assert client.get(url).status_code == 404, view
    # Another school admin, not named, still sees the trigger (the admin shows it read-only).
    other = MembershipFactory(school=world.school, roles=["admin"]).user
    other_listing = as_user(other).get(reverse("admin:policies_reviewtrigger_changelist"))
    assert "Lessons learnt from a concern" in other_listing.content.decode()
    change = reverse("admin:policies_reviewtrigger_change", args=[trigger.pk])
    assert LESSON in as_user(other).get(change).content.decode()
