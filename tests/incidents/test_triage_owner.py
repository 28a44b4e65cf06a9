"""Triage hands a concern only to someone who may open it in full: the owner choices follow
incidents.visibility's rule (trust members included), and a forged choice is refused with a
form error and nothing saved."""

import re

import pytest
from django.urls import reverse

from incidents.models import Entry
from tests.factories import MembershipFactory, learner_concern, staff_allegation

pytestmark = pytest.mark.django_db


def _owner_choices(client, concern) -> set[int]:
    # The triage form, as the concern page draws it when opened.
    page = client.get(reverse("incidents:record", args=[concern.pk, "triage"])).text
    select = re.search(r'<select name="triage-owner".*?</select>', page, re.S).group(0)
    return {int(pk) for pk in re.findall(r'<option value="(\d+)"', select)}


def _ids(world, *personas) -> set[int]:
    return {world.users[p].pk for p in personas}


def test_a_staff_allegation_can_be_passed_only_to_those_who_may_open_it(world, as_user):
    concern = staff_allegation(world)  # about leadership: routed to the head and the DSL
    choices = _owner_choices(as_user(world.users["head"]), concern)
    assert choices == _ids(world, "head", "dsl")  # not the deputy, OSL, office, governor …


def test_a_learner_concern_can_be_passed_to_any_safeguarding_lead_of_the_trust(world, as_user):
    trust_dsl = MembershipFactory(school=None, trust=world.school.trust, roles=["dsl"]).user
    concern = learner_concern(world)
    choices = _owner_choices(as_user(world.users["dsl"]), concern)
    assert choices == _ids(world, "osl", "dsl", "deputy_dsl", "head") | {trust_dsl.pk}


def test_everyone_offered_as_owner_can_open_the_concern(world, client):
    concern = staff_allegation(world)
    client.force_login(world.users["head"])
    for pk in _owner_choices(client, concern):
        client.force_login(next(u for u in world.users.values() if u.pk == pk))
        assert client.get(reverse("incidents:detail", args=[concern.pk])).status_code == 200


@pytest.mark.parametrize("persona", ["deputy_dsl", "office", "governor", "admin", "leadership"])
def test_a_forged_owner_is_refused_and_nothing_is_saved(persona, world, as_user):
    concern = staff_allegation(world)
    response = as_user(world.users["head"]).post(
        reverse("incidents:record", args=[concern.pk, "triage"]),
        {
            "triage-risk_level": "high",
            "triage-owner": world.users[persona].pk,
            "triage-text": "Pass to them",
        },
    )
    assert response.status_code == 400
    assert "Choose someone who may open this concern in full" in response.text
    assert not concern.entries.filter(kind=Entry.Kind.TRIAGE).exists()
    concern.refresh_from_db()
    assert concern.owner == world.users["head"]
    assert concern.risk_level == ""


def test_a_concern_is_passed_to_someone_who_may_open_it(world, as_user):
    concern = staff_allegation(world)
    response = as_user(world.users["head"]).post(
        reverse("incidents:record", args=[concern.pk, "triage"]),
        {"triage-risk_level": "high", "triage-owner": world.users["dsl"].pk, "triage-text": "DSL"},
    )
    assert response.status_code == 302
    concern.refresh_from_db()
    assert concern.owner == world.users["dsl"]
