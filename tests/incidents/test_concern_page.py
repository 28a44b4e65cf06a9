"""The concern page: the referrals still to record, and a fixed number of queries however
long the timeline and however many people may triage."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import Concern, Entry
from tests.factories import MembershipFactory, learner_concern, report


def test_the_page_lists_the_required_referrals_not_yet_recorded(world, as_user):
    concern = report(
        world.school,
        world.users["office"],
        "staff_illegal",
        people=[(world.users["leadership"], "alleged")],
    )
    head = as_user(world.users["head"])
    url = reverse("incidents:detail", args=[concern.pk])
    assert "still to record: Police, LADO" in head.get(url).content.decode()
    Entry.objects.create(concern=concern, kind="referral", referral="lado")
    page = head.get(url).content.decode()
    assert "still to record: Police<" in page


@pytest.mark.parametrize(("persona", "queries"), [("head", 12), ("dsl", 11)])
def test_the_page_makes_the_same_few_queries_for_a_long_timeline(
    persona, queries, world, as_user, django_assert_max_num_queries
):
    concern = learner_concern(world)
    client = as_user(world.users[persona])
    url = reverse("incidents:detail", args=[concern.pk])
    client.get(url)  # the first view marks it read
    with CaptureQueriesContext(connection) as short:
        client.get(url)
    Entry.objects.bulk_create(
        Entry(concern=concern, kind="note", author=world.users["dsl"], text=f"Note number {n}")
        for n in range(200)
    )
    for _ in range(3):  # more people the concern could be passed to
        MembershipFactory(school=world.school, roles=["deputy_dsl"])
    with django_assert_max_num_queries(queries), CaptureQueriesContext(connection) as long:
        response = client.get(url)
    assert len(long) == len(short)
    assert "Note number 199" in response.content.decode()


def test_the_record_forms_are_drawn_only_when_opened_and_work_without_javascript(world, as_user):
    """Issue 17: the page no longer draws every record form (−4 queries, was 16 for the head);
    each is fetched when its section is opened, or is a page of its own without JavaScript."""
    concern = learner_concern(world)
    dsl = as_user(world.users["dsl"])
    page = dsl.get(reverse("incidents:detail", args=[concern.pk])).content.decode()
    record = reverse("incidents:record", args=[concern.pk, "triage"])
    assert 'name="triage-risk_level"' not in page
    assert f'hx-get="{record}"' in page and f'href="{record}"' in page
    alone = dsl.get(record).content.decode()  # no JavaScript: the form on its own page
    assert 'name="triage-risk_level"' in alone and "<html" in alone
    assert f"Back to concern {concern.pk}" in alone
    part = dsl.get(record, HTTP_HX_REQUEST="true").content.decode()  # htmx: the form alone
    assert 'name="triage-risk_level"' in part and "<html" not in part
    # A form sent back with an error is drawn open in the page, with what was typed.
    response = dsl.post(record, {"triage-text": "Seen, no risk level"})
    assert response.status_code == 400
    assert "Seen, no risk level" in response.content.decode()


def test_a_closed_concern_takes_no_more_entries_and_says_so(world, as_user):
    concern = learner_concern(world)
    Concern.objects.filter(pk=concern.pk).update(status=Concern.Status.CLOSED)
    dsl = as_user(world.users["dsl"])
    before = Entry.objects.count()
    for url, data in (
        (reverse("incidents:record", args=[concern.pk, "note"]), {"note-text": "Late note"}),
        (reverse("incidents:add", args=[concern.pk]), {"text": "Late information"}),
    ):
        response = dsl.post(url, data, follow=True)
        assert response.redirect_chain[-1][0] == reverse("incidents:detail", args=[concern.pk])
        assert "This concern is closed." in response.content.decode()
    assert Entry.objects.count() == before
