"""A device confiscated for a concern the viewer must not know of (an allegation about the
headteacher, for the headteacher; one naming a staff member, for them) is not theirs to see or
move: it may hold the evidence against them."""

import pytest
from django.http import Http404
from django.urls import reverse

from devices import services
from devices.models import Confiscation, CustodyState
from tests.factories import collector, head_allegation, secured, staff_allegation

REASON = "Holds the messages the headteacher sent"


@pytest.fixture
def evidence(world):
    """A phone, in the secure store, linked to an allegation about the headteacher."""
    device = secured(world.learner, world.users["dsl"])
    Confiscation.objects.filter(pk=device.pk).update(concern=head_allegation(world), reason=REASON)
    device.refresh_from_db()
    return device


def test_the_head_does_not_see_a_device_linked_to_an_allegation_about_them(
    world, evidence, as_user, head
):
    client = as_user(head)
    for url in (
        reverse("devices:confiscations"),
        reverse("devices:confiscations") + "?show=all",
        reverse("devices:end_of_day"),
        reverse("reports:chronology", args=[world.learner.pk]),
    ):
        html = client.get(url).content.decode()
        assert REASON not in html, url
        assert str(evidence.pk) not in html, url
    assert client.get(reverse("devices:confiscation", args=[evidence.pk])).status_code == 404


def test_the_dsl_still_sees_it(world, evidence, as_user, dsl):
    html = as_user(dsl).get(reverse("devices:confiscations")).content.decode()
    assert str(evidence.pk) in html
    page = as_user(dsl).get(reverse("devices:confiscation", args=[evidence.pk]))
    assert REASON in page.content.decode()


def test_the_head_cannot_release_it_and_is_told_it_is_not_found(world, evidence, as_user, head):
    """As for a device that never existed (tests/secrecy/test_probing.py compares the two)."""
    guardian = collector(world.learner)
    response = as_user(head).post(
        reverse("devices:confiscation_move", args=[evidence.pk]),
        {"to_state": "released", "guardian": guardian.pk, "id_checked": "on"},
    )
    assert response.status_code == 404
    evidence.refresh_from_db()
    assert evidence.state == CustodyState.SECURED
    assert evidence.events.count() == 2
    html = response.content.decode()
    assert REASON not in html
    assert "allegation" not in html.lower()


def test_no_one_moves_a_device_linked_to_a_concern_naming_them(world, dsl):
    device = secured(world.learner, world.users["deputy_dsl"])
    Confiscation.objects.filter(pk=device.pk).update(concern=staff_allegation(world, about=dsl))
    with pytest.raises(Http404, match="cannot be released by you — ask the DSL"):
        services.confiscation_move(
            confiscation=device,
            to_state=CustodyState.POLICE,
            by=dsl,
            officer="PC A",
            force="Kent",
            reference="R1",
            seal_number="S1",
        )


def test_the_chronology_links_a_device_to_a_concern_only_for_those_who_see_it(world, as_user, osl):
    """The OSL sees the learner's devices but not a staff allegation: no link to it."""
    device = secured(world.learner, world.users["dsl"])
    allegation = staff_allegation(world)
    Confiscation.objects.filter(pk=device.pk).update(concern=allegation)
    html = as_user(osl).get(reverse("reports:chronology", args=[world.learner.pk]))
    html = html.content.decode()
    assert f"confiscation #{device.pk}" in html
    assert reverse("incidents:detail", args=[allegation.pk]) not in html


def test_the_held_too_long_reminder_does_not_count_a_device_concealed_from_its_reader(world):
    """The DSL named in an allegation is not told of the device kept for it."""
    from datetime import date

    import time_machine

    from devices.jobs import end_of_day_reminders
    from tests.factories import TermFactory
    from tests.reminders.helpers import at, told

    TermFactory(school=world.school, starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18))
    with time_machine.travel(at(date(2026, 11, 27), 10)):  # Friday
        device = secured(world.learner, world.users["deputy_dsl"])
        Confiscation.objects.filter(pk=device.pk).update(
            concern=staff_allegation(world, about=world.users["dsl"])
        )
    assert end_of_day_reminders(at(date(2026, 11, 30), 16, 45)) == 1
    title = "1 confiscated device has been held longer than 1 school day"
    assert told(world, title=title) == {"office": [title]}
