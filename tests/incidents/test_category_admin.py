"""A school's admin edits its categories (the routing rules) in /admin/: what an edit may
change, and what it never changes (who may read a concern reported before it, who may ever
read an allegation about staff or about the headteacher)."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from incidents.models import Category, Concern
from incidents.visibility import can_see, can_triage
from tests.factories import report
from tests.people.conftest import admin_client, school_admin  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

migration = importlib.import_module("incidents.migrations.0013_concern_is_online")
FLAGS = ["is_online", "allows_images", "is_staff_case", "is_about_head", "is_immediate_danger"]


def _edit(client, category, **changes):
    """Post the category's admin page as it is, with `changes` (False unticks a box)."""
    data = {
        "school": category.school_id,
        "key": category.key,
        "name": category.name,
        "guidance": category.guidance,
        "owner_role": category.owner_role,
        "informed_roles": list(category.informed_roles),
        "required_referrals": list(category.required_referrals),
        "referral_note": category.referral_note,
        "deadline_amount": category.deadline_amount,
        "deadline_unit": category.deadline_unit,
        "no_images_reason": category.no_images_reason,
        "order": category.order,
        **{flag: "on" for flag in [*FLAGS, "active"] if getattr(category, flag)},
    }
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return client.post(reverse("admin:incidents_category_change", args=[category.pk]), data)


def _category(world, key):
    return Category.objects.get(school=world.school, key=key)


def test_ticking_online_on_a_category_does_not_show_the_osl_the_concerns_reported_before(
    admin_client,  # noqa: F811
    world,
):
    osl = world.users["osl"]
    before = report(world.school, world.users["teacher"], "radicalisation")
    assert not can_see(osl, before)

    response = _edit(admin_client, _category(world, "radicalisation"), is_online=True)

    assert response.status_code == 302
    assert _category(world, "radicalisation").is_online
    assert not can_see(osl, before)
    # Reported after the edit, a concern is online safety as the category now says.
    after = report(world.school, world.users["teacher"], "radicalisation")
    assert can_triage(osl, after)


def test_a_category_no_longer_online_must_stop_telling_the_osl_first(admin_client, world):  # noqa: F811
    osl = world.users["osl"]
    before = report(world.school, world.users["teacher"], "social_media")
    category = _category(world, "social_media")

    refused = _edit(admin_client, category, is_online=False)  # the OSL still informed
    assert refused.status_code == 200
    assert "A concern that is not about online safety or staff may be owned" in refused.text
    assert _edit(admin_client, category, is_online=False, informed_roles=[]).status_code == 302

    assert not _category(world, "social_media").is_online
    assert can_triage(osl, before)


def test_the_migration_copies_online_from_each_concerns_category(world):
    online = report(world.school, world.users["teacher"], "social_media")
    offline = report(world.school, world.users["teacher"], "radicalisation")
    Concern.objects.update(is_online=False)  # as the column is added

    migration.copy_from_category(apps, None)

    assert set(Concern.objects.filter(is_online=True)) == {online}
    assert not Concern.objects.get(pk=offline.pk).is_online


def test_the_admin_cannot_tell_the_osl_of_allegations_about_staff(admin_client, world):  # noqa: F811
    category = _category(world, "staff_online_conduct")

    response = _edit(admin_client, category, informed_roles=["dsl", "osl"])

    assert response.status_code == 200
    assert "An allegation about staff may be owned by, or told to, only" in response.text
    assert _category(world, "staff_online_conduct").informed_roles == ["dsl"]
    allegation = report(
        world.school,
        world.users["office"],
        "staff_online_conduct",
        people=[(world.users["leadership"], "alleged")],
    )
    assert not can_see(world.users["osl"], allegation)


def test_the_admin_cannot_turn_an_allegation_about_the_head_into_one_the_head_reads(
    admin_client,  # noqa: F811
    world,
):
    category = _category(world, "about_head")

    response = _edit(admin_client, category, is_about_head=False, owner_role="headteacher")

    assert response.status_code == 200
    assert "An allegation about the headteacher may be owned by" in response.text
    category.refresh_from_db()
    assert category.is_about_head and category.owner_role == "chair_of_governors"
    allegation = report(world.school, world.users["teacher"], "about_head")
    assert not can_see(world.users["head"], allegation)
    assert can_triage(world.users["chair"], allegation)


def test_what_a_category_is_about_is_not_the_admins_to_change(admin_client, world):  # noqa: F811
    category = _category(world, "staff_breach")

    # Unticked, with an owner a learner concern may have: the boxes are not the admin's.
    response = _edit(admin_client, category, is_staff_case=False, owner_role="dsl", name="Staff")

    assert response.status_code == 302
    category.refresh_from_db()
    assert category.is_staff_case and category.name == "Staff"
    # Each change is kept with who made it (the category's history, as for the school's
    # other settings).
    assert category.history.first().history_user == world.users["admin"]
    allegation = report(
        world.school,
        world.users["office"],
        "staff_breach",
        people=[(world.users["leadership"], "alleged")],
    )
    assert not can_see(world.users["deputy_dsl"], allegation)


def test_routing_keeps_a_staff_allegation_from_the_osl_whatever_the_category_says(world):
    """A category edited before the rule (or in the database): routing keeps to the roles its
    kind allows."""
    Category.objects.filter(school=world.school, key="staff_online_conduct").update(
        owner_role="osl", informed_roles=["osl", "dsl"]
    )
    allegation = report(
        world.school,
        world.users["office"],
        "staff_online_conduct",
        people=[(world.users["leadership"], "alleged")],
    )

    assert allegation.owner == world.users["head"]
    assert set(allegation.routed_to.all()) == {world.users["head"], world.users["dsl"]}
    assert not can_see(world.users["osl"], allegation)


def test_every_default_category_is_within_what_its_kind_allows(world):
    for category in Category.objects.filter(school=world.school):
        category.full_clean()
