"""Times typed in are checked: a concern is not reported as happening in the future, and a
referral or contact with the parents/carers is not dated before its concern happened nor in
the future (a mistyped year would clear "referral pending" and count as made in time in the
governors' figures)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Concern, Entry
from tests.factories import report

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
#: A Tuesday afternoon: the allegation is reported at 14:00 about something at 13:00.
REPORTED = datetime(2026, 11, 24, 14, 0, tzinfo=LONDON)


def _allegation(world):
    """A staff allegation awaiting its LADO referral."""
    concern = report(
        world.school,
        world.users["office"],
        "staff_online_conduct",
        people=[(world.users["leadership"], "alleged")],
        when=REPORTED,
    )
    Concern.objects.filter(pk=concern.pk).update(status=Concern.Status.AWAITING_REFERRAL)
    return concern


def _refer(client, concern, when: datetime):
    return client.post(
        reverse("incidents:record", args=[concern.pk, "referral"]),
        {
            "referral-referral": "lado",
            "referral-referred_at": timezone.localtime(when).strftime("%Y-%m-%dT%H:%M"),
            "referral-text": "Rang the LADO",
        },
    )


def _referrals(concern):
    return Entry.objects.filter(concern=concern, kind=Entry.Kind.REFERRAL)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (
            REPORTED - timedelta(days=365),  # the year mistyped
            "This is before the concern happened (on 24 November 2026): check the date.",
        ),
        (
            timezone.now() + timedelta(days=7),
            "This is in the future: give the date and time it was done.",
        ),
    ],
    ids=["a-year-before", "next-week"],
)
def test_a_referral_dated_before_the_concern_or_in_the_future_is_refused(
    world, as_user, when, message
):
    concern = _allegation(world)

    response = _refer(as_user(world.users["head"]), concern, when)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not _referrals(concern).exists()
    concern.refresh_from_db()
    assert concern.status == Concern.Status.AWAITING_REFERRAL
    assert concern.referrals_pending == ["lado"]


def test_a_referral_phoned_in_before_the_report_was_typed_is_taken(world, as_user):
    concern = _allegation(world)

    # The head rang the LADO that morning, before the office typed the report in.
    response = _refer(as_user(world.users["head"]), concern, REPORTED.replace(hour=8, minute=30))

    assert response.status_code == 302
    assert _referrals(concern).get().referred_at == REPORTED.replace(hour=8, minute=30)
    concern.refresh_from_db()
    assert concern.status == Concern.Status.IN_PROGRESS


def test_a_referral_made_a_minute_ago_on_a_fast_clock_is_taken(world, as_user):
    concern = _allegation(world)

    response = _refer(as_user(world.users["head"]), concern, timezone.now() + timedelta(minutes=2))

    assert response.status_code == 302
    assert _referrals(concern).exists()


def test_contact_with_the_parents_cannot_be_dated_next_year(world, as_user):
    concern = report(
        world.school, world.users["teacher"], "social_media", people=[(world.learner, "child")]
    )
    next_year = timezone.localtime() + timedelta(days=365)

    response = as_user(world.users["dsl"]).post(
        reverse("incidents:record", args=[concern.pk, "parent_contact"]),
        {
            "parent_contact-contact_who": "Mum",
            "parent_contact-referred_at": next_year.strftime("%Y-%m-%dT%H:%M"),
            "parent_contact-contact_how": "Phone",
        },
    )

    assert response.status_code == 400
    assert "This is in the future: give the date and time it was done." in response.text
    assert not concern.entries.filter(kind=Entry.Kind.PARENT_CONTACT).exists()


def _report(client, world, when: datetime):
    from tests.incidents.test_views import _form

    happened = timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")
    return client.post(reverse("incidents:new"), _form(world, happened_at=happened))


def test_a_concern_cannot_be_reported_as_happening_next_year(world, as_user):
    response = _report(as_user(world.users["teacher"]), world, timezone.now() + timedelta(days=365))

    assert response.status_code == 200
    assert "This is in the future: give the date and time it happened." in response.text
    assert not Concern.objects.exists()


def test_a_concern_that_happened_just_now_on_a_fast_clock_is_reported(world, as_user):
    response = _report(
        as_user(world.users["teacher"]), world, timezone.now() + timedelta(minutes=2)
    )

    assert response.status_code == 302
    assert Concern.objects.count() == 1
