"""Who holds a role in a school: its own members and its trust's, active ones only, by name,
in one query however many schools are asked about."""

import pytest

from people.models import Membership
from tests.factories import MembershipFactory, SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trust_dsl(world):
    user = UserFactory(first_name="Aurelia", last_name="Zzyzx-Trust")
    return MembershipFactory(user=user, school=None, trust=world.school.trust, roles=["dsl"]).user


def test_a_trust_level_role_counts_in_every_school_of_the_trust(world, trust_dsl):
    here = Membership.objects.holders(world.school, roles=["dsl"])
    there = Membership.objects.holders(world.other_school, roles=["dsl"])
    assert here == [world.users["dsl"], trust_dsl]  # by name: Zzyzx-Trust last
    assert {u.username for u in there} == {trust_dsl.username, "outsider"}


def test_a_permission_names_the_roles_that_hold_it(world):
    managers = Membership.objects.holders(world.school, permission="policies.manage")
    assert {u.username for u in managers} == {"dsl", "deputy_dsl", "head"}


def test_no_roles_asked_means_every_member(world, trust_dsl):
    members = {u.username for u in Membership.objects.holders(world.school)}
    assert members == {*world.users} - {"outsider"} | {trust_dsl.username}


def test_an_inactive_user_holds_nothing(world, trust_dsl):
    trust_dsl.is_active = False
    trust_dsl.save()
    assert trust_dsl not in Membership.objects.holders(world.school, roles=["dsl"])


def test_many_schools_are_answered_in_one_query(world, trust_dsl, django_assert_num_queries):
    lone = SchoolFactory()  # no trust, no members
    with django_assert_num_queries(1):
        found = Membership.objects.holders_by_school(
            [world.school, world.other_school, lone], roles=["dsl"]
        )
    assert found[world.school.pk] == [world.users["dsl"], trust_dsl]
    assert trust_dsl in found[world.other_school.pk]
    assert found[lone.pk] == []
