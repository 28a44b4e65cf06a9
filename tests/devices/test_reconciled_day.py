"""A day the office has marked reconciled: a later change at the desk asks why, and the desk
takes the reason with the change; a day still to come cannot be reconciled."""

import re
from datetime import date
from html import unescape

import time_machine
from django.urls import reverse

from devices import services
from devices.models import DayReconciliation, DeskEntry, Handover
from tests.factories import LearnerFactory, collector
from tests.reminders.helpers import at

HTMX = {"HTTP_HX_REQUEST": "true"}
TUESDAY, WEDNESDAY = date(2026, 11, 24), date(2026, 11, 25)
RECONCILED = "24/11/2026 has been reconciled: give a reason for this change."


def reason_form(response) -> tuple[str, dict]:
    """The desk's box asking for the reason: where it posts, and what it sends again."""
    content = response.content.decode()
    form = re.search(r'<form[^>]*class="desk-reason[^"]*"[^>]*>.*?</form>', content, re.S)
    assert form, content
    form = form.group(0)
    assert re.search(r'<label[^>]*for="desk-reason">Reason for the change</label>', form)
    assert re.search(r'<input[^>]*id="desk-reason"[^>]*name="reason"[^>]*required', form)
    url = unescape(re.search(r'hx-post="([^"]+)"', form).group(1))
    fields = {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
        if name != "csrfmiddlewaretoken"
    }
    return url, fields


def check_in_and_reconcile(client, world, office):
    with time_machine.travel(at(TUESDAY, 8, 45), tick=False):
        services.handover_check_in(learner=world.learner, by=office)
    with time_machine.travel(at(TUESDAY, 16), tick=False):
        client.post(reverse("devices:end_of_day_reconcile"), {"day": "2026-11-24"})
    assert DayReconciliation.objects.filter(school_day=TUESDAY).exists()


def test_a_parent_arriving_after_the_day_was_reconciled_collects_with_a_reason(
    as_user, world, office
):
    mum = collector(world.learner, guardian__name="Farah Khan")
    client = as_user(office)
    check_in_and_reconcile(client, world, office)
    with time_machine.travel(at(TUESDAY, 16, 40), tick=False):
        refused = client.post(
            reverse("devices:desk_check_out", args=[world.learner.pk]),
            {"guardian": mum.pk},
            **HTMX,
        )
        assert refused["X-Desk-Level"] == "warning"
        assert RECONCILED in refused.content.decode()
        assert Handover.objects.get().is_held
        url, fields = reason_form(refused)
        assert url == reverse("devices:desk_check_out", args=[world.learner.pk])
        assert fields == {"guardian": str(mum.pk)}

        response = client.post(url, {**fields, "reason": "Mum came at 16:40"}, **HTMX)
    assert response["X-Desk-Level"] == "success"
    assert "Amelia Khan: phone collected by Farah Khan." in response.content.decode()
    handover = Handover.objects.get()
    assert handover.collected_by == mum and not handover.is_held
    assert DeskEntry.objects.get(kind="out").reason == "Mum came at 16:40"


def test_enter_on_a_reconciled_day_asks_why_for_that_learner_and_keeps_the_pouch_number(
    as_user, world, office
):
    client = as_user(office)
    with time_machine.travel(at(TUESDAY, 8), tick=False):
        client.post(reverse("devices:end_of_day_reconcile"), {"day": "2026-11-24"})  # too soon
    with time_machine.travel(at(TUESDAY, 8, 45), tick=False):
        refused = client.post(reverse("devices:desk_enter"), {"q": "amel", "tag": "P7"}, **HTMX)
        url, fields = reason_form(refused)
        assert url == reverse("devices:desk_enter")
        assert fields == {"q": "amel", "tag": "P7", "expect": str(world.learner.pk)}
        assert not Handover.objects.exists()

        blank = client.post(url, {**fields, "reason": "   "}, **HTMX)
        assert reason_form(blank) == (url, fields)  # a blank reason: asked again
        assert not Handover.objects.exists()
        response = client.post(url, {**fields, "reason": "Reconciled by mistake at 8"}, **HTMX)
    assert "Amelia Khan (Oak): phone in. Pouch P7." in response.content.decode()
    assert DeskEntry.objects.get(kind="in").reason == "Reconciled by mistake at 8"


def test_an_undo_on_a_reconciled_day_asks_why(as_user, world, office):
    client = as_user(office)
    check_in_and_reconcile(client, world, office)
    with time_machine.travel(at(TUESDAY, 16, 40), tick=False):
        client.post(
            reverse("devices:desk_check_out", args=[world.learner.pk]), {"reason": "Late"}, **HTMX
        )
        entry = DeskEntry.objects.get(kind="out")
        refused = client.post(reverse("devices:desk_undo", args=[entry.pk]), **HTMX)
        url, fields = reason_form(refused)
        assert (url, fields) == (reverse("devices:desk_undo", args=[entry.pk]), {})
        client.post(url, {"reason": "Wrong learner"}, **HTMX)
    assert Handover.objects.get().is_held
    assert DeskEntry.objects.get(kind="undo_out").reason == "Wrong learner"


def test_a_reason_too_long_to_keep_is_refused_in_plain_words(as_user, world, office):
    client = as_user(office)
    check_in_and_reconcile(client, world, office)
    with time_machine.travel(at(TUESDAY, 16, 40), tick=False):
        response = client.post(
            reverse("devices:desk_check_out", args=[world.learner.pk]),
            {"reason": "x" * 201},
            **HTMX,
        )
    assert "Keep the reason to 200 characters." in response.content.decode()
    assert Handover.objects.get().is_held


def test_a_day_still_to_come_cannot_be_reconciled_and_its_morning_goes_on(as_user, world, office):
    client = as_user(office)
    with time_machine.travel(at(TUESDAY, 16), tick=False):
        tomorrow = client.get(reverse("devices:end_of_day"), {"day": "2026-11-25"}).text
        assert "Mark the day reconciled" not in tomorrow
        page = client.post(
            reverse("devices:end_of_day_reconcile"), {"day": "2026-11-25"}, follow=True
        ).text
        assert "25/11/2026 is still to come: a day is reconciled at its end" in page
        assert "Mark the day reconciled" in client.get(reverse("devices:end_of_day")).text
    assert not DayReconciliation.objects.exists()
    with time_machine.travel(at(WEDNESDAY, 8, 45), tick=False):
        response = client.post(reverse("devices:desk_enter"), {"q": "amel"}, **HTMX)
    assert response["X-Desk-Level"] == "success"
    assert Handover.objects.get().school_day == WEDNESDAY


def test_without_script_the_desk_page_asks_for_the_reason(as_user, world, office):
    client = as_user(office)
    check_in_and_reconcile(client, world, office)
    with time_machine.travel(at(TUESDAY, 16, 40), tick=False):
        refused = client.post(reverse("devices:desk_check_out", args=[world.learner.pk]))
        assert refused.status_code == 200 and 'id="desk-q"' in refused.content.decode()
        url, fields = reason_form(refused)
        assert f'method="post" action="{url}"' in refused.content.decode()
        response = client.post(url, {**fields, "reason": "Gran, late"})
    assert response.url == reverse("devices:desk")
    assert DeskEntry.objects.get(kind="out").reason == "Gran, late"


def test_a_whole_class_on_a_reconciled_day_asks_why_instead_of_skipping_everyone(
    as_user, world, office
):
    """The class buttons said "0 phone(s) checked in, 2 skipped (already done or exempt)"
    on a reconciled day: they ask for the reason, as one learner's check-in does."""
    ben = LearnerFactory(school=world.school, class_name="Oak")
    client = as_user(office)
    check_in_and_reconcile(client, world, office)
    with time_machine.travel(at(TUESDAY, 16, 40), tick=False):
        refused = client.post(
            reverse("devices:desk_class"), {"class_name": "Oak", "action": "in"}, **HTMX
        )
        assert refused["X-Desk-Level"] == "warning"
        content = refused.content.decode()
        assert RECONCILED in content and "skipped" not in content
        url, fields = reason_form(refused)
        assert (url, fields) == (
            reverse("devices:desk_class"),
            {"class_name": "Oak", "action": "in"},
        )
        assert not Handover.objects.filter(learner=ben).exists()

        response = client.post(url, {**fields, "reason": "Oak back from a trip"}, **HTMX)
        assert "Oak: 1 phone(s) checked in, 1 skipped" in response.content.decode()
        assert DeskEntry.objects.get(kind="in", handover__learner=ben).reason == (
            "Oak back from a trip"
        )

        refused = client.post(url, {"class_name": "Oak", "action": "out"}, **HTMX)
        assert RECONCILED in refused.content.decode()
        url, fields = reason_form(refused)
        response = client.post(url, {**fields, "reason": "Trip late back"}, **HTMX)
    assert "Oak: 2 phone(s) checked out." in response.content.decode()
    assert not Handover.objects.filter(out_at__isnull=True).exists()
    assert set(DeskEntry.objects.filter(kind="out").values_list("reason", flat=True)) == {
        "Trip late back"
    }
