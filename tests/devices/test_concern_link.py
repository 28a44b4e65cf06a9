"""A confiscation and the concern it belongs to link to each other, and the learner's
chronology shows the device's movements."""

import pytest
from django.urls import reverse

from devices.models import Confiscation
from tests.factories import learner_concern, staff_allegation

pytestmark = pytest.mark.django_db


def test_a_teacher_links_a_confiscation_to_their_concern_and_both_pages_show_it(world, as_user):
    concern = learner_concern(world)  # reported by the teacher
    client = as_user(world.users["teacher"])
    form = client.get(reverse("devices:confiscation_new") + f"?concern={concern.pk}")
    assert f'<option value="{concern.pk}" selected>' in form.text

    response = client.post(
        reverse("devices:confiscation_new"),
        {
            "learner": world.learner.pk,
            "device": "Black iPhone",
            "reason_kind": "images",
            "reason": "Filming in the toilets",
            "held_at": "Office safe",
            "concern": concern.pk,
        },
    )
    confiscation = Confiscation.objects.get()
    assert response.url == reverse("devices:confiscation", args=[confiscation.pk])
    assert confiscation.concern == concern
    detail = client.get(response.url).text
    assert reverse("incidents:detail", args=[concern.pk]) in detail

    dsl = as_user(world.users["dsl"])
    concern_page = dsl.get(reverse("incidents:detail", args=[concern.pk])).text
    assert reverse("devices:confiscation", args=[confiscation.pk]) in concern_page
    chronology = dsl.get(reverse("reports:chronology", args=[world.learner.pk])).text
    assert "Device confiscated" in chronology and "Black iPhone" in chronology


def test_only_concerns_the_user_may_see_can_be_linked(world, as_user):
    hidden = staff_allegation(world)  # reported by the office, about leadership
    client = as_user(world.users["teacher"])
    response = client.post(
        reverse("devices:confiscation_new"),
        {
            "learner": world.learner.pk,
            "device": "Tablet",
            "reason": "x",
            "held_at": "Office",
            "concern": hidden.pk,
        },
    )
    assert response.status_code == 200
    assert "Choose one of the answers offered for" in response.text
    assert not Confiscation.objects.exists()


def test_the_concern_list_names_no_one(world, as_user):
    concern = learner_concern(world)
    page = as_user(world.users["teacher"]).get(reverse("devices:confiscation_new")).text
    select = page.split('name="concern"', 1)[1].split("</select>", 1)[0]
    option = select.split(f'<option value="{concern.pk}"', 1)[1].split("</option>", 1)[0]
    assert world.learner.legal_last_name not in option
    assert f"#{concern.pk}" in option
