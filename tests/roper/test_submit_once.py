"""Every create form is sent once (roper.once): Enter pressed twice, or Back then Record again,
finds the record the first press made instead of making a twin."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from devices.models import Confiscation
from incidents.models import Concern
from roper.models import Submission
from roper.once import ALREADY, submissions_forget
from tests.factories import concern_form

KEY = re.compile(r'name="_once" value="([0-9a-f-]{36})"')


def _key(response) -> str:
    keys = KEY.findall(response.text)
    assert keys, "the form carries no one-time key"
    return keys[0]


def _concern(world, **extra):
    return concern_form(world.school, platform="Instagram", **extra)


def test_enter_pressed_twice_on_the_concern_form_makes_one_concern(world, as_user):
    client = as_user(world.users["teacher"])
    data = _concern(world, _once=_key(client.get(reverse("incidents:new"))))

    first = client.post(reverse("incidents:new"), data)
    second = client.post(reverse("incidents:new"), data, follow=True)

    concern = Concern.objects.get()
    assert first.url == reverse("incidents:detail", args=[concern.pk])
    assert second.redirect_chain[-1][0] == first.url
    assert ALREADY in second.text


def test_back_then_record_again_on_a_confiscation_makes_one_confiscation(world, as_user):
    client = as_user(world.users["teacher"])
    form = client.get(reverse("devices:confiscation_new"))
    data = {
        "learner": world.learner.pk,
        "device": "Black iPhone",
        "reason_kind": "images",
        "reason": "Filming in the toilets",
        "held_at": "Office safe",
        "_once": _key(form),
    }
    first = client.post(reverse("devices:confiscation_new"), data)
    again = client.post(reverse("devices:confiscation_new"), data)  # the page from history

    confiscation = Confiscation.objects.get()
    assert again.url == first.url == reverse("devices:confiscation", args=[confiscation.pk])


def test_a_form_sent_with_a_mistake_keeps_nothing_and_the_corrected_one_goes_through(
    world, as_user
):
    client = as_user(world.users["teacher"])
    key = _key(client.get(reverse("incidents:new")))

    refused = client.post(reverse("incidents:new"), _concern(world, _once=key, where=""))
    assert refused.status_code == 200 and not Concern.objects.exists()
    assert not Submission.objects.exists()

    sent = client.post(reverse("incidents:new"), _concern(world, _once=key))
    assert sent.status_code == 302 and Concern.objects.count() == 1


def test_every_render_of_a_form_gives_a_new_key(world, as_user):
    client = as_user(world.users["teacher"])
    assert _key(client.get(reverse("incidents:new"))) != _key(client.get(reverse("incidents:new")))


def test_another_users_key_neither_saves_nor_reveals_their_record(world, as_user):
    teacher_client = as_user(world.users["teacher"])
    data = _concern(world, _once=_key(teacher_client.get(reverse("incidents:new"))))
    made = teacher_client.post(reverse("incidents:new"), data)

    other = Client()
    other.force_login(world.users["leadership"])
    response = other.post(reverse("incidents:new"), data)
    assert Concern.objects.count() == 1
    assert response.status_code == 302 and response.url != made.url


def test_keys_are_forgotten_after_two_days(world, as_user):
    client = as_user(world.users["teacher"])
    key = _key(client.get(reverse("incidents:new")))
    client.post(reverse("incidents:new"), _concern(world, _once=key))
    submissions_forget(now=timezone.now() + timedelta(days=1))
    assert Submission.objects.count() == 1
    submissions_forget(now=timezone.now() + timedelta(days=2, minutes=1))
    assert not Submission.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_presses_at_the_same_moment_make_one_concern(world):
    teacher = world.users["teacher"]
    probe = Client()
    probe.force_login(teacher)
    data = _concern(world, _once=_key(probe.get(reverse("incidents:new"))))
    start = threading.Barrier(2)
    answers = []

    def press():
        client = Client()
        client.force_login(teacher)
        start.wait()
        try:
            answers.append(client.post(reverse("incidents:new"), data))
        finally:
            connection.close()

    presses = [threading.Thread(target=press) for _ in range(2)]
    for thread in presses:
        thread.start()
    for thread in presses:
        thread.join()

    concern = Concern.objects.get()
    assert [a.status_code for a in answers] == [302, 302]
    assert {a.url for a in answers} == {reverse("incidents:detail", args=[concern.pk])}
