import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.models import Concern
from incidents.services import concern_close
from policies.models import ReviewTrigger
from tests.factories import learner_concern, ratified_policy


def test_closing_without_decision_reason_and_outcome_is_refused(world):
    concern = learner_concern(world)
    with pytest.raises(ValidationError, match="decision, reason, outcome"):
        concern_close(concern=concern, by=world.users["dsl"], decision=" ", reason="", outcome="")
    concern.refresh_from_db()
    assert concern.status == Concern.Status.NEW


def test_lessons_learnt_with_a_policy_open_a_review_trigger(world, as_user):
    policy = ratified_policy(world.school)
    concern = learner_concern(world)
    dsl = as_user(world.users["dsl"])
    page = dsl.get(reverse("incidents:close", args=[concern.pk])).content.decode()
    assert "Policy to review in the light of the lessons learnt" in page
    dsl.post(
        reverse("incidents:close", args=[concern.pk]),
        {
            "decision": "Parents informed, education session",
            "reason": "Low risk once account blocked",
            "outcome": "Account closed",
            "lessons_learnt": "Staff did not know how to report a game account.",
            "policy": policy.pk,
        },
    )
    trigger = ReviewTrigger.objects.get(policy=policy)
    assert trigger.reason == "lessons_learnt"
    assert trigger.source == "lessons learnt from a safeguarding concern"
    assert trigger.concern_number == concern.pk
    concern.refresh_from_db()
    assert concern.is_closed


def test_another_schools_policy_cannot_be_chosen(world, as_user):
    other = ratified_policy(world.other_school)
    concern = learner_concern(world)
    response = as_user(world.users["dsl"]).post(
        reverse("incidents:close", args=[concern.pk]),
        {"decision": "d", "reason": "r", "outcome": "o", "lessons_learnt": "l", "policy": other.pk},
    )
    assert response.status_code == 400
    assert not ReviewTrigger.objects.exists()


def test_a_failing_review_trigger_leaves_the_concern_open(world, monkeypatch):
    policy = ratified_policy(world.school)
    concern = learner_concern(world)

    def broken(**kwargs):
        raise RuntimeError("policies down")

    monkeypatch.setattr("incidents.services.review_trigger_open", broken)
    with pytest.raises(RuntimeError):
        concern_close(
            concern=concern,
            by=world.users["dsl"],
            decision="d",
            reason="r",
            outcome="o",
            lessons_learnt="l",
            policy=policy,
        )
    concern.refresh_from_db()
    assert not concern.is_closed


def test_closing_an_allegation_about_staff_needs_its_finding(world, as_user):
    from tests.factories import staff_allegation

    concern = staff_allegation(world)
    head = as_user(world.users["head"])
    data = {"decision": "LADO advice followed", "reason": "No case", "outcome": "Closed"}
    response = head.post(reverse("incidents:close", args=[concern.pk]), data)
    assert response.status_code == 400
    assert "Record the finding of the allegation." in response.content.decode()
    head.post(reverse("incidents:close", args=[concern.pk]), {**data, "finding": "malicious"})
    concern.refresh_from_db()
    assert (concern.is_closed, concern.finding) == (True, "malicious")
