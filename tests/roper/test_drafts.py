"""A concern written over a long idle time is not lost (WCAG 2.2.1): the form keeps a draft on
the server in its author's name, and a sign-out for inactivity keeps what was being sent."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Concern
from roper.drafts import drafts_forget
from roper.models import Draft
from roper.sessions import DRAFT_KEPT
from tests.factories import concern_form

WHAT = "Saw a Year 6 pupil filming another in the cloakroom, just before lunch."


def _concern(world, **extra):
    return concern_form(
        world.school,
        what_happened=WHAT,
        where="Cloakroom",
        **{
            "people-TOTAL_FORMS": "1",
            "people-0-kind": "visitor",
            "people-0-name": "Visitor Quillon",
            "people-0-part": "witness",
        },
        **extra,
    )


def test_the_draft_kept_while_typing_comes_back_and_goes_when_the_report_is_sent(world, as_user):
    client = as_user(world.users["teacher"])
    saved = client.post(reverse("draft_save", args=["concern"]), _concern(world))
    assert saved.json()["saved"] is True and "Draft saved at" in saved.json()["message"]

    form = client.get(reverse("incidents:new")).text
    assert "This is your draft from" in form
    assert WHAT in form and 'value="Cloakroom"' in form and 'value="Visitor Quillon"' in form

    sent = client.post(reverse("incidents:new"), _concern(world))
    assert sent.status_code == 302 and Concern.objects.count() == 1
    assert not Draft.objects.exists()
    assert WHAT not in client.get(reverse("incidents:new")).text


def test_a_draft_is_read_only_by_its_author(world, as_user):
    as_user(world.users["teacher"]).post(reverse("draft_save", args=["concern"]), _concern(world))
    for persona in ("dsl", "head", "admin", "leadership"):
        page = as_user(world.users[persona]).get(reverse("incidents:new")).text
        assert WHAT not in page and "This is your draft" not in page


def test_sending_after_the_idle_sign_out_keeps_the_report_as_a_draft(world, as_user, time_machine):
    time_machine.move_to(timezone.now())
    client = as_user(world.users["dsl"])
    client.get(reverse("incidents:new"))
    time_machine.shift(timedelta(minutes=31))  # the safeguarding idle limit is 30 minutes

    response = client.post(reverse("incidents:new"), _concern(world), follow=True)

    assert not Concern.objects.exists()
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert DRAFT_KEPT.strip() in response.text
    client.force_login(world.users["dsl"])
    form = client.get(reverse("incidents:new")).text
    assert WHAT in form and "This is your draft from" in form


def test_stay_signed_in_keeps_the_session(world, as_user, time_machine):
    time_machine.move_to(timezone.now())
    client = as_user(world.users["dsl"])
    client.get(reverse("incidents:new"))
    time_machine.shift(timedelta(minutes=29))
    assert client.post(reverse("session_extend")).status_code == 204
    time_machine.shift(timedelta(minutes=29))
    assert client.get(reverse("incidents:new")).status_code == 200


def test_the_page_says_how_long_before_the_sign_out(world, as_user):
    page = as_user(world.users["dsl"]).get(reverse("incidents:new")).text
    assert 'data-idle-seconds="1800"' in page and "Stay signed in" in page


def test_discarding_a_draft_empties_the_form(world, as_user):
    client = as_user(world.users["teacher"])
    client.post(reverse("draft_save", args=["concern"]), _concern(world))
    client.post(reverse("draft_discard", args=["concern"]))
    assert not Draft.objects.exists()
    assert WHAT not in client.get(reverse("incidents:new")).text


@pytest.mark.parametrize("name", ["chronology", "no-such-form"])
def test_only_forms_that_keep_drafts_take_one(world, as_user, name):
    client = as_user(world.users["teacher"])
    assert client.post(reverse("draft_save", args=[name]), {"x": "y"}).status_code == 404
    assert not Draft.objects.exists()


def test_drafts_are_forgotten_after_a_week(world, as_user):
    as_user(world.users["teacher"]).post(reverse("draft_save", args=["concern"]), _concern(world))
    drafts_forget(now=timezone.now() + timedelta(days=6))
    assert Draft.objects.count() == 1
    drafts_forget(now=timezone.now() + timedelta(days=7, minutes=1))
    assert not Draft.objects.exists()
