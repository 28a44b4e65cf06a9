"""Retention never shows a record to someone it is concealed from, nor lets them destroy it,
nor reminds them of it. In a small primary school the headteacher is often the DSL too, and
so approves retention."""

from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import Concern
from people.calendar import SchoolCalendar
from people.models import Membership
from roper.models import RetentionBatch
from roper.retention import retention_destroy, retention_find, retention_monthly
from tests.factories import MembershipFactory, head_allegation, report, staff_allegation

MALICIOUS = "Allegations about staff found to be malicious"


@pytest.fixture
def head_is_dsl(world, head):
    Membership.objects.filter(user=head).update(roles=["headteacher", "dsl"])
    return type(head).objects.get(pk=head.pk)  # as a new request loads them


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
    retention_find(school=world.school, today=SchoolCalendar.today())
    page = as_user(head_is_dsl).get(reverse("retention")).content.decode()
    assert MALICIOUS not in page
    assert str(allegation.pk) not in page
    page = as_user(deputy_dsl).get(reverse("retention")).content.decode()
    assert MALICIOUS in page
    assert f"Concern #{allegation.pk}" in page


def test_the_head_who_is_dsl_cannot_destroy_it_even_by_its_batch_number(world, head_is_dsl, client):
    allegation = _malicious(world, head_allegation(world), world.users["chair"])
    (batch,) = retention_find(school=world.school, today=SchoolCalendar.today())
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
    assert (batch.rule, batch.hidden_from) == ("malicious-allegations", [dsl.pk])


def test_a_batch_hidden_from_many_approvers_is_found_and_hidden_from_each(
    world, as_user, deputy_dsl
):
    """Who a batch is hidden from is data: any number of people, not a few ids in its key."""
    named = [MembershipFactory(school=world.school, roles=["dsl", "staff"]).user for _ in range(12)]
    allegation = report(
        world.school,
        world.users["office"],
        "staff_online_conduct",
        people=[(user, "alleged") for user in named],
    )
    _malicious(world, allegation, world.users["head"])
    (batch,) = retention_find(school=world.school, today=SchoolCalendar.today())
    assert (batch.rule, batch.hidden_from) == (
        "malicious-allegations",
        sorted(u.pk for u in named),
    )
    assert MALICIOUS not in as_user(named[-1]).get(reverse("retention")).content.decode()
    assert (
        f"Concern #{allegation.pk}"
        in as_user(deputy_dsl).get(reverse("retention")).content.decode()
    )


def test_a_batch_hidden_from_every_approver_goes_to_the_chair(world, head_is_dsl, as_user, chair):
    """A lone DSL (here the headteacher, as in many small primaries) and an allegation about
    them: the chair of governors sees the batch, is reminded of it and decides it."""
    others = [world.users["dsl"], world.users["deputy_dsl"]]
    Membership.objects.filter(user__in=others).update(roles=["staff"])
    allegation = _malicious(world, head_allegation(world), chair)
    now = timezone.make_aware(datetime(2026, 12, 2, 9, 0))
    assert retention_monthly(now) == 1
    assert chair.notifications.filter(title__startswith="Records are due").exists()
    assert not head_is_dsl.notifications.exists()

    client = as_user(chair)
    assert f"Concern #{allegation.pk}" in client.get(reverse("retention")).content.decode()
    batch = RetentionBatch.objects.get(school=world.school)
    client.post(reverse("retention_decide", args=[batch.pk]), {"action": "destroy"})
    assert not Concern.objects.filter(pk=allegation.pk).exists()
    batch.refresh_from_db()
    assert (batch.status, batch.decided_by) == ("destroyed", chair)
    # Not the headteacher, before or after.
    assert MALICIOUS not in as_user(head_is_dsl).get(reverse("retention")).content.decode()


def test_the_chair_decides_nothing_a_dsl_may_decide(world, as_user, chair):
    _malicious(world, staff_allegation(world), world.users["head"])
    (batch,) = retention_find(school=world.school, today=SchoolCalendar.today())
    client = as_user(chair)
    assert client.get(reverse("retention")).status_code == 403
    response = client.post(reverse("retention_decide", args=[batch.pk]), {"action": "destroy"})
    assert response.status_code == 403


def _made_deputy_dsl(world, user):
    """`user` belongs to the school again, or still, now as a deputy DSL."""
    Membership.objects.filter(user=user).delete()
    MembershipFactory(school=world.school, user=user, roles=["staff", "deputy_dsl"])
    return type(user).objects.get(pk=user.pk)  # as a new request loads them


def test_a_destroyed_batch_stays_hidden_from_its_subject_made_an_approver_later(world, as_user):
    """The teacher named in a malicious allegation was no approver when it was found and
    destroyed; made deputy DSL afterwards, they are still not shown its destruction."""
    teacher = world.users["teacher"]
    _malicious(world, staff_allegation(world, about=teacher), world.users["head"])
    (batch,) = retention_find(school=world.school, today=SchoolCalendar.today())
    retention_destroy(batch=batch, by=world.users["dsl"])

    page = as_user(_made_deputy_dsl(world, teacher)).get(reverse("retention"))
    assert page.status_code == 200
    assert MALICIOUS not in page.content.decode()
    assert MALICIOUS in as_user(world.users["dsl"]).get(reverse("retention")).content.decode()


def test_a_destroyed_batch_stays_hidden_from_a_subject_who_had_left_when_it_was_found(
    world, as_user
):
    """Whoever the records name, not only the school's members of the day."""
    teacher = world.users["teacher"]
    _malicious(world, staff_allegation(world, about=teacher), world.users["head"])
    Membership.objects.filter(user=teacher).delete()  # they left the school
    (batch,) = retention_find(school=world.school, today=SchoolCalendar.today())
    retention_destroy(batch=batch, by=world.users["dsl"])

    page = as_user(_made_deputy_dsl(world, teacher)).get(reverse("retention"))
    assert MALICIOUS not in page.content.decode()


def test_a_batch_found_before_its_subject_was_recorded_is_hidden_from_them_once_destroyed(
    world, as_user
):
    """A batch found before Roper recorded everyone its records name (by an earlier
    version) learns them when it is destroyed, while its records still exist."""
    teacher = world.users["teacher"]
    _malicious(world, staff_allegation(world, about=teacher), world.users["head"])
    (batch,) = retention_find(school=world.school, today=SchoolCalendar.today())
    RetentionBatch.objects.filter(pk=batch.pk).update(concealed_from=[])
    retention_destroy(batch=batch, by=world.users["dsl"])

    page = as_user(_made_deputy_dsl(world, teacher)).get(reverse("retention"))
    assert MALICIOUS not in page.content.decode()
