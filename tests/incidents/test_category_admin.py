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


def test_the_migration_copies_online_from_each_concerns_category(world):
    online = report(world.school, world.users["teacher"], "social_media")
    offline = report(world.school, world.users["teacher"], "radicalisation")
    Concern.objects.update(is_online=False)  # as the column is added

    migration.copy_from_category(apps, None)

    assert set(Concern.objects.filter(is_online=True)) == {online}
    assert not Concern.objects.get(pk=offline.pk).is_online
