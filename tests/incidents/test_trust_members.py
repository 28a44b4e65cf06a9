"""Someone who holds a role through the school's trust (a trust-level DSL, a trust's
safeguarding lead who works across its schools) belongs to the school like any member: the
dashboard's owner filter and the concern form's staff list offer them."""

import re

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _options(page: str, select_name: str) -> set[int]:
    select = re.search(rf'<select[^>]*name="{select_name}".*?</select>', page, re.S).group(0)
    return {int(pk) for pk in re.findall(r'<option value="(\d+)"', select)}


@pytest.fixture
def trust_dsl(world):
    user = UserFactory(first_name="Perpetua", last_name="Quillfeather-Trust")
    return MembershipFactory(user=user, school=None, trust=world.school.trust, roles=["dsl"]).user


def test_the_dashboard_offers_a_trust_level_dsl_as_an_owner_to_filter_by(world, trust_dsl, as_user):
    page = as_user(world.users["dsl"]).get(reverse("incidents:dashboard")).text
    owners = _options(page, "owner")
    assert trust_dsl.pk in owners
    assert world.users["dsl"].pk in owners
    assert world.users["outsider"].pk not in owners  # another school of the trust


def test_the_concern_form_offers_a_trust_level_member_as_a_staff_member(world, trust_dsl, as_user):
    page = as_user(world.users["teacher"]).get(reverse("incidents:new")).text
    staff = _options(page, "people-0-staff")
    assert trust_dsl.pk in staff
    assert world.users["outsider"].pk not in staff


def test_an_inactive_trust_member_is_not_offered(world, trust_dsl, as_user):
    trust_dsl.is_active = False
    trust_dsl.save()
    page = as_user(world.users["dsl"]).get(reverse("incidents:dashboard")).text
    assert trust_dsl.pk not in _options(page, "owner")
