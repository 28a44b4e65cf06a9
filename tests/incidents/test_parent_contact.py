"""Recording contact with the parents/carers records "Parents/carers informed": staff never
record the same thing twice to move a concern on."""

from django.urls import reverse
from django.utils import timezone

from incidents.models import Concern, Entry, Referral
from incidents.services import concern_record
from tests.factories import learner_concern


def _triaged(world):
    concern = learner_concern(world)  # a social media concern: parents/carers informed
    concern_record(
        concern=concern,
        by=world.users["dsl"],
        kind="triage",
        fields={"risk_level": "low", "owner": world.users["dsl"], "text": "Talk to home"},
    )
    concern.refresh_from_db()
    assert concern.status == Concern.Status.AWAITING_REFERRAL
    return concern


def test_contact_with_the_parents_moves_the_concern_on_and_leaves_nothing_to_record(world, as_user):
    concern = _triaged(world)
    dsl = as_user(world.users["dsl"])
    url = reverse("incidents:detail", args=[concern.pk])
    assert "still to record: Parents/carers informed" in dsl.get(url).content.decode()

    response = dsl.post(
        reverse("incidents:record", args=[concern.pk, "parent_contact"]),
        {
            "parent_contact-contact_who": "Mum",
            "parent_contact-referred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "parent_contact-contact_how": "Phone",
            "parent_contact-text": "Mum will check the app settings tonight.",
        },
        follow=True,
    )

    page = response.content.decode()
    assert "Contact with parents/carers recorded." in page
    assert "still to record" not in page
    concern.refresh_from_db()
    assert concern.status == Concern.Status.IN_PROGRESS
    assert not concern.entries.filter(kind=Entry.Kind.REFERRAL).exists()  # not recorded twice


def test_a_recorded_reason_for_not_telling_them_counts_too(world):
    concern = _triaged(world)
    concern_record(
        concern=concern,
        by=world.users["dsl"],
        kind="parent_contact",
        fields={"not_told_reason": "Telling home would put the child at risk (advice from MASH)."},
    )
    assert concern.status == Concern.Status.IN_PROGRESS
    fresh = Concern.objects.with_referral_entries().get(pk=concern.pk)  # as the jobs read it
    assert Referral.PARENTS not in fresh.referrals_pending
