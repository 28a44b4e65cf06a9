"""The desk's roster (issue 17): the day's learners, searched in the browser at the morning
rush, with only Enter sent to the server, which decides again and refuses when its match is
not the learner the page showed. static/js/devices.js draws the list; the e2e journey
(tests/e2e/test_desk_roster.py) checks that it is the server's list."""

import time
from datetime import UTC, datetime, timedelta

import time_machine
from django.urls import reverse

from devices import desk, services
from devices.models import Handover, ParentContactException
from people.calendar import SchoolCalendar
from roper.sessions import SEEN_AT
from tests.factories import LearnerFactory, collector, exemption

HTMX = {"HTTP_HX_REQUEST": "true"}
MORNING = datetime(2026, 11, 24, 8, 45, tzinfo=UTC)


def _roster(client):
    response = client.get(reverse("devices:desk_roster"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


@time_machine.travel(MORNING)
def test_the_roster_holds_the_schools_learners_as_the_desk_shows_them(as_user, office, head, world):
    bob = LearnerFactory(
        school=world.school, legal_first_name="Robert", preferred_name="Bob", legal_last_name="Ames"
    )
    gone = LearnerFactory(school=world.school, legal_first_name="Gone", active=False)
    mum = collector(bob, guardian__name="Farah Ames")
    collector(world.learner, may_collect=False, guardian__name="Not Allowed")
    exempt = LearnerFactory(school=world.school, legal_first_name="Ezra", legal_last_name="Ames")
    medical = exemption(exempt, by=office, decided_by=head)
    ParentContactException.objects.create(
        school=world.school,
        learner=bob,
        details="Mum calls at lunch",
        status="approved",
        requested_by=head,
        decided_by=head,
    )
    client = as_user(office)
    # Yesterday's pouch number still finds the learner, as the desk's search does.
    with time_machine.travel(MORNING - timedelta(days=1)):
        services.handover_check_in(learner=world.learner, by=office, tag="p9")
    client.post(reverse("devices:desk_check_in", args=[bob.pk]), {"tag": "P17"}, **HTMX)

    roster = _roster(client)
    rows = {row["id"]: row for row in roster["learners"]}
    assert world.other_learner.pk not in rows  # another school's learner
    assert gone.pk not in rows
    assert rows[bob.pk]["names"] == ["ROBERT", "BOB", "AMES"]
    assert rows[bob.pk]["name"] == "Bob Ames"
    assert (rows[bob.pk]["in"], rows[bob.pk]["tag"], rows[bob.pk]["tags"]) == (
        "08:45",
        "P17",
        ["P17"],
    )
    assert rows[bob.pk]["contact"] == "Mum calls at lunch"
    assert rows[bob.pk]["collect"] == [[mum.pk, "Farah Ames (Mother)"]]
    assert rows[world.learner.pk]["collect"] == []  # (one who may not collect is not listed)
    assert rows[world.learner.pk]["in"] == "" and rows[world.learner.pk]["tags"] == ["P9"]
    assert rows[exempt.pk]["exempt"] == medical.get_reason_display()
    # In the order of the names, as the database sorts them (the page keeps that order).
    assert [row["id"] for row in roster["learners"]][:2] == [exempt.pk, bob.pk]
    assert (roster["now"], roster["home"]) == (8 * 3600 + 45 * 60, 14 * 3600 + 30 * 60)


@time_machine.travel(MORNING)
def test_the_roster_agrees_with_the_search(as_user, office, world):
    """Each learner's row is the search's: today's phone, the exemption, the contact."""
    client = as_user(office)
    client.post(reverse("devices:desk_check_in", args=[world.learner.pk]), **HTMX)
    day = SchoolCalendar.today()
    roster = {row["id"]: row for row in desk.roster(school=world.school, day=day)["learners"]}
    (found,) = desk.search(school=world.school, q=world.learner.name, day=day)
    assert roster[found.pk]["in"] == f"{found.today.in_at:%H:%M}"


def test_the_roster_takes_the_same_queries_whatever_the_size_of_the_school(
    as_user, office, world, django_assert_max_num_queries
):
    from tests.devices.test_desk import bulk_learners

    client = as_user(office)
    _roster(client)  # warm the session
    bulk_learners(world.school, 300)
    # User, memberships; the learners, the previous day's pouch numbers, who may collect,
    # the home time.
    with django_assert_max_num_queries(7):
        assert len(_roster(client)["learners"]) == 301


@time_machine.travel(MORNING)
def test_enter_refuses_when_its_match_is_not_the_learner_the_page_showed(as_user, office, world):
    """A list a minute old showed Bob first; since then Bob's phone came in at another desk
    and Bobby joined the school: Enter on "Bob" must not check Bobby in."""
    bob = LearnerFactory(school=world.school, legal_first_name="Bob", legal_last_name="Ames")
    services.handover_check_in(learner=bob, by=office)
    bobby = LearnerFactory(school=world.school, legal_first_name="Bobby", legal_last_name="Ames")
    response = as_user(office).post(
        reverse("devices:desk_enter"), {"q": "bob ames", "expect": bob.pk}, **HTMX
    )
    assert "The list has changed since it was shown: Bobby Ames is the match now" in (
        response.content.decode()
    )
    assert response["X-Desk-Level"] == "warning"
    assert not Handover.objects.filter(learner=bobby).exists()


@time_machine.travel(MORNING)
def test_enter_on_the_learner_the_page_showed_says_how_the_phone_is_now(as_user, office, world):
    response = as_user(office).post(
        reverse("devices:desk_enter"),
        {"q": "amel", "expect": world.learner.pk, "tag": "a12"},
        **HTMX,
    )
    assert "Amelia Khan (Oak): phone in." in response.content.decode()
    moved = response["X-Desk-Moved"]
    assert moved == f'{{"id": {world.learner.pk}, "in": "08:45", "out": "", "tag": "a12"}}'


def test_reading_the_roster_in_the_background_does_not_keep_the_desk_signed_in(as_user, office):
    client = as_user(office)
    client.get(reverse("devices:desk"))
    session = client.session
    session[SEEN_AT] = time.time() - 300
    session.save()
    client.get(reverse("devices:desk_roster"), HTTP_X_ROPER_BACKGROUND="1")
    assert time.time() - client.session[SEEN_AT] >= 300
    client.get(reverse("devices:desk_roster"))  # read by the person at the desk
    assert time.time() - client.session[SEEN_AT] < 60
