from datetime import date

import time_machine
from django.urls import reverse

from policies import services
from policies.models import TrainingSession, TrainingSettings
from tests.factories import TrainingSessionFactory


def _attend(session, *users):
    session.attendees.add(*users)


@time_machine.travel(date(2026, 11, 24))
def test_staff_with_no_training_or_an_old_refresher_are_overdue(world):
    users = world.users
    _attend(
        TrainingSessionFactory(school=world.school, held_on=date(2025, 11, 1)), users["teacher"]
    )
    _attend(TrainingSessionFactory(school=world.school, held_on=date(2026, 1, 5)), users["office"])
    overdue = {r.user.username for r in services.training_overdue(school=world.school)}
    assert "teacher" in overdue  # last trained 1 Nov 2025: due 1 Nov 2026
    assert "office" not in overdue  # due 5 Jan 2027
    assert "head" in overdue  # never trained
    assert "governor" not in overdue  # not staff


@time_machine.travel(date(2026, 11, 24))
def test_the_refresher_period_is_set_per_school(world):
    _attend(
        TrainingSessionFactory(school=world.school, held_on=date(2026, 1, 5)),
        world.users["office"],
    )
    TrainingSettings.objects.create(school=world.school, refresher_months=6)
    overdue = {r.user.username for r in services.training_overdue(school=world.school)}
    assert "office" in overdue


@time_machine.travel(date(2026, 11, 24))
def test_the_training_page_lists_each_record_and_who_is_overdue(world, osl, client):
    _attend(
        TrainingSessionFactory(school=world.school, title="Induction", topic="induction"),
        world.users["office"],
    )
    client.force_login(osl)
    html = client.get(reverse("policies:training")).content.decode()
    overdue_part = html.split("Overdue for the refresher")[1].split("Each staff member")[0]
    assert world.users["teacher"].get_full_name() in overdue_part
    assert world.users["office"].get_full_name() not in overdue_part
    assert "Induction (5 Jan 2026)" in html


def test_a_session_is_recorded_with_who_attended(world, osl, client):
    client.force_login(osl)
    response = client.post(
        reverse("policies:training_create"),
        {
            "title": "Social media refresher",
            "held_on": "2026-11-02",
            "topic": "social_media",
            "attendees": [world.users["teacher"].pk, world.users["office"].pk],
        },
    )
    assert response.status_code == 302
    session = TrainingSession.objects.get()
    assert session.school == world.school
    assert set(session.attendees.values_list("username", flat=True)) == {"teacher", "office"}


def test_a_governor_cannot_be_marked_as_attending_staff_training(world, osl, client):
    client.force_login(osl)
    response = client.post(
        reverse("policies:training_create"),
        {
            "title": "Refresher",
            "held_on": "2026-11-02",
            "topic": "online_safety",
            "attendees": [world.users["governor"].pk],
        },
    )
    assert response.status_code == 200
    assert not TrainingSession.objects.exists()


def test_a_staff_member_sees_their_own_record(world, teacher, client):
    _attend(TrainingSessionFactory(school=world.school, title="Induction day"), teacher)
    client.force_login(teacher)
    html = client.get(reverse("policies:training_mine")).content.decode()
    assert "Induction day" in html and "5 January 2026" in html


def test_the_refresher_period_is_changed_in_the_settings(world, head, client):
    client.force_login(head)
    response = client.post(reverse("policies:training_settings"), {"refresher_months": "24"})
    assert response.status_code == 302
    assert TrainingSettings.for_school(world.school).refresher_months == 24
