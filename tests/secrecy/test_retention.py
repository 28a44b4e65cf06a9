"""Retention never shows a record to someone it is concealed from, nor lets them destroy it,
nor reminds them of it. In a small primary school the headteacher is often the DSL too, and
so approves retention."""

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import Concern
from people.models import Membership
from roper.models import RetentionBatch
from roper.permissions import forget
from roper.retention import retention_find, retention_monthly
from tests.incidents.factories import head_allegation, staff_allegation

MALICIOUS = "Allegations about staff found to be malicious"


@pytest.fixture
def head_is_dsl(world, head):
    Membership.objects.filter(user=head).update(roles=["headteacher", "dsl"])
    forget(head)
    return head


def _malicious(world, concern, by):
    return services.concern_close(
        concern=concern,
        by=by,
        decision="No further action",
        reason="Made up",
        outcome="Closed",
        finding=Concern.Finding.MALICIOUS,
    )


def test_the_head_who_is_dsl_is_not_shown_an_allegation_about_them(
    world, head_is_dsl, as_user, deputy_dsl
):
    allegation = _malicious(world, head_allegation(world), world.users["chair"])
    retention_find(school=world.school, today=timezone.localdate())
    page = as_user(head_is_dsl).get(reverse("retention")).content.decode()
    assert MALICIOUS not in page
    assert str(allegation.pk) not in page
    page = as_user(deputy_dsl).get(reverse("retention")).content.decode()
    assert MALICIOUS in page
    assert f"Concern #{allegation.pk}" in page


def test_the_head_who_is_dsl_cannot_destroy_it_even_by_its_batch_number(world, head_is_dsl, client):
    allegation = _malicious(world, head_allegation(world), world.users["chair"])
    (batch,) = retention_find(school=world.school, today=timezone.localdate())
    client.force_login(head_is_dsl)
    response = client.post(reverse("retention_decide", args=[batch.pk]), {"action": "destroy"})
    assert response.status_code == 404
    assert Concern.objects.filter(pk=allegation.pk).exists()
    # Nor after another approver destroyed it: the destruction record stays hidden from them.
    from roper.retention import retention_destroy

    retention_destroy(batch=batch, by=world.users["deputy_dsl"])
    assert MALICIOUS not in client.get(reverse("retention")).content.decode()


def test_a_dsl_named_in_an_allegation_is_not_reminded_of_it(world, dsl, deputy_dsl):
    _malicious(world, staff_allegation(world, about=dsl), world.users["head"])
    now = timezone.make_aware(datetime(2026, 12, 2, 9, 0))
    assert retention_monthly(now) == 1
    assert not dsl.notifications.exists()
    assert deputy_dsl.notifications.filter(title__startswith="Records are due").exists()
    batch = RetentionBatch.objects.get(school=world.school)
    assert batch.rule.startswith("malicious-allegations~")
