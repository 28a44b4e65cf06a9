"""The policy for parents and pupils: its public page (no sign-in, nothing internal, nothing at
all until the school publishes it) and the record of it being sent to families each year,
with the reminder before the school year starts."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from policies import services
from policies.jobs import sending_reminders
from policies.models import PolicySending, ReviewTrigger
from roper.errors import Refused
from roper.models import Notification
from tests.factories import PolicyFactory, TermFactory, ratified_policy

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
KEY = re.compile(r'name="_once" value="([0-9a-f-]{36})"')


def _published(world, **kwargs):
    policy = ratified_policy(
        world.school,
        title="Mobile technology",
        slug="mobile-technology",
        dsl=world.users["dsl"],
        osl=world.users["osl"],
        ratification_recorded_by=world.users["office"],
        **kwargs,
    )
    return services.policy_publish(policy=policy, published=True)


def _public_url(world, slug="mobile-technology"):
    return reverse("public:policy", args=[world.school.urn, slug])


def test_the_public_page_shows_the_ratified_version_and_nothing_internal(world):
    policy = _published(world)
    version = policy.versions.get()
    version.change_summary = "INTERNAL: rewrote 5.3 after the Smith incident"
    version.save()
    ReviewTrigger.objects.create(policy=policy, reason="lessons_learnt", note="INTERNAL trigger")
    services.policy_review_start(policy=policy, by=world.users["head"])
    draft = policy.versions.get(ratified_on__isnull=True)
    draft.body = "DRAFT text not ratified yet"
    draft.save()

    response = Client().get(_public_url(world))

    assert response.status_code == 200
    page = response.text
    assert "Mobile technology" in page and world.school.name in page
    assert world.users["dsl"].get_full_name() in page  # a key person the policy names
    assert version.body.splitlines()[0].lstrip("# ") in page
    for internal in ("INTERNAL", "DRAFT text", world.users["office"].get_full_name(), "Sign out"):
        assert internal not in page
    assert "Set-Cookie" not in response.headers and "public" in response["Cache-Control"]


def test_unpublished_and_unknown_schools_get_the_same_404(world):
    ratified_policy(world.school, title="Mobile technology", slug="mobile-technology")
    unpublished = Client().get(_public_url(world))
    unknown = Client().get(reverse("public:policy", args=["999999", "mobile-technology"]))
    assert unpublished.status_code == unknown.status_code == 404
    # The same page, but for the CSRF token the error page carries (masked afresh each time).
    token = re.compile(r'"X-CSRFToken": "[^"]+"')
    assert token.sub("", unpublished.text) == token.sub("", unknown.text)


def test_the_page_follows_the_policy_at_once_and_is_served_from_the_cache(
    world, django_assert_max_num_queries
):
    policy = _published(world)
    client = Client()
    client.get(_public_url(world))
    with django_assert_max_num_queries(0):
        assert client.get(_public_url(world)).status_code == 200

    services.policy_review_start(policy=policy, by=world.users["head"])
    draft = policy.versions.get(ratified_on__isnull=True)
    draft.body = "# Version two\n\nPhones stay in the office."
    draft.save()
    services.policy_ratify(policy=policy, by=world.users["head"], ratified_on=date(2026, 3, 1))
    assert "Phones stay in the office." in client.get(_public_url(world)).text

    services.policy_publish(policy=policy, published=False)
    assert client.get(_public_url(world)).status_code == 404


def test_a_policy_without_a_ratified_version_cannot_be_published(world):
    policy = PolicyFactory(school=world.school, title="Draft", slug="draft")
    with pytest.raises(Refused, match="Ratify a version first"):
        services.policy_publish(policy=policy, published=True)


def test_staff_publish_from_the_policy_page_and_see_the_link_to_copy(world, as_user):
    policy = ratified_policy(world.school, title="Mobile technology", slug="mobile-technology")
    client = as_user(world.users["head"])
    assert "Not published for parents and pupils" in client.get(policy.get_absolute_url()).text
    client.post(reverse("policies:publish", args=[policy.slug]), {"published": "1"})
    page = client.get(policy.get_absolute_url()).text
    assert f'value="http://testserver{_public_url(world)}" readonly' in page


def test_sending_to_families_is_recorded_once_and_shown_on_the_policy_page(world, as_user):
    policy = _published(world)
    client = as_user(world.users["office"])
    url = reverse("policies:sending_new", args=[policy.slug])
    with time_machine.travel(datetime(2026, 9, 4, 10, tzinfo=LONDON), tick=False):
        key = KEY.search(client.get(url).text).group(1)
        data = {
            "school_year": "2026",
            "sent_on": "2026-09-04",
            "sent_by": world.users["office"].pk,
            "method": "email",
            "year_groups": ["5", "6"],
            "_once": key,
        }
        client.post(url, data)
        client.post(url, data)  # Enter twice
        page = client.get(policy.get_absolute_url()).text
    sending = PolicySending.objects.get()
    assert (sending.school_year, sending.version.number, sending.recorded_by) == (
        2026,
        1,
        world.users["office"],
    )
    assert "2026/27: version 1, 4 Sep 2026, email, Year 5, Year 6" in page


def test_a_sending_dated_in_the_future_is_refused(world, as_user):
    policy = _published(world)
    client = as_user(world.users["head"])
    with time_machine.travel(datetime(2026, 9, 4, 10, tzinfo=LONDON), tick=False):
        response = client.post(
            reverse("policies:sending_new", args=[policy.slug]),
            {
                "school_year": "2026",
                "sent_on": "2026-09-10",
                "sent_by": world.users["head"].pk,
                "method": "letter",
            },
        )
    assert "cannot be in the future" in response.text
    assert not PolicySending.objects.exists()


def at(y, m, d):
    return datetime(y, m, d, 8, tzinfo=LONDON)


def test_the_reminder_goes_before_the_year_starts_until_the_sending_is_recorded(world):
    TermFactory(school=world.school, starts_on=date(2026, 9, 3), ends_on=date(2026, 12, 18))
    policy = _published(world)
    head = world.users["head"]
    assert sending_reminders(at(2026, 8, 10)) == 0  # 24 days before: not yet
    assert sending_reminders(at(2026, 8, 21)) == 1
    assert sending_reminders(at(2026, 8, 22)) == 0  # once per step
    (note,) = Notification.objects.filter(recipient=head)
    assert note.title == "Send “Mobile technology” to families for 2026/27: due by 3 September 2026"

    services.policy_sending_record(
        policy=policy,
        school_year=2026,
        sent_on=date(2026, 8, 25),
        method="email",
        year_groups=[],
        sent_by=head,
        by=head,
    )
    assert sending_reminders(at(2026, 9, 3)) == 0  # recorded: no "not yet recorded"
    assert not Notification.objects.filter(recipient=world.users["teacher"]).exists()


def test_an_unpublished_policy_asks_for_nothing(world):
    ratified_policy(world.school, title="Mobile technology", slug="mobile-technology")
    assert sending_reminders(at(2026, 8, 25)) == 0
