"""Office morning: check in ten phones by keyboard alone, undo a mistake, check five out at
home time (one to a parent), and see the end-of-day page agree."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from devices import desk, services
from devices.models import Handover
from people.calendar import SchoolCalendar
from people.models import Learner
from tests.e2e.conftest import check_accessibility, screenshot

pytestmark = pytest.mark.usefixtures("demo")  # the demo, as seed_demo makes it

LONDON = ZoneInfo("Europe/London")
MORNING = datetime(2026, 11, 25, 9, 5, tzinfo=LONDON)  # a Wednesday in the autumn term
HOME_TIME = datetime(2026, 11, 25, 15, 10, tzinfo=LONDON)
RECONCILED = datetime(2026, 11, 25, 16, 0, tzinfo=LONDON)
LATE = datetime(2026, 11, 25, 16, 40, tzinfo=LONDON)


def _elm_learners(count):
    """Learners of one class whose full name finds them alone at the desk, so Enter acts (a
    name that also begins another's, "Leo Hall" and "Leon Hallam", makes Enter ask)."""
    learners = Learner.objects.filter(class_name="Elm").order_by("pk")
    day = SchoolCalendar.today()
    alone = [lr for lr in learners if len(desk.search(school=lr.school, q=lr.name, day=day)) == 1]
    return alone[:count]


def _count(page, which):
    return int(page.locator(f"#count-{which}").inner_text())


def test_office_morning(page, live_server, sign_in):
    with time_machine.travel(MORNING, tick=True):
        learners = _elm_learners(10)
        assert len(learners) == 10
        sign_in("office")
        assert page.url.endswith("/devices/desk/")  # the office lands on the desk
        held_before = _count(page, "held")
        box = page.get_by_label("Learner name, class or pouch number")
        assert box.evaluate("el => el === document.activeElement")

        for learner in learners:
            page.keyboard.type(learner.name)
            page.locator(".desk-results th", has_text=learner.name).first.wait_for()
            with page.expect_response(lambda r: "/devices/desk/enter/" in r.url):
                page.keyboard.press("Enter")
            expect(box).to_have_value("")
            expect(box).to_be_focused()
        assert _count(page, "held") == held_before + 10
        # Each check-in's entry was put at the top of the last entries (ten are shown).
        entries = page.locator("#desk-entries tr")
        expect(entries).to_have_count(10)
        expect(entries.first).to_contain_text(learners[-1].name)
        expect(entries.last).to_contain_text(learners[0].name)
        check_accessibility(page)
        screenshot(page, "desk")

        # A mistake: undo the last check-in (Tab to it, or click; the undo is recorded).
        mistaken = learners[-1]
        page.get_by_role("button", name=f"Undo checked in of {mistaken.name}").click()
        page.get_by_text("undone", exact=False).first.wait_for()
        assert _count(page, "held") == held_before + 9

    with time_machine.travel(HOME_TIME, tick=True):
        page.reload()  # six idle hours later Roper has signed the office out
        assert "signed out after a while" in page.content()
        sign_in("office")
        box = page.get_by_label("Learner name, class or pouch number")
        expect(box).to_be_focused()
        # Four go home with their phones by Enter alone …
        for learner in learners[:4]:
            page.keyboard.type(learner.name)
            page.locator(".desk-results th", has_text=learner.name).first.wait_for()
            with page.expect_response(lambda r: "/devices/desk/enter/" in r.url):
                page.keyboard.press("Enter")
            expect(box).to_have_value("")
        # … and one is collected by a parent who may collect.
        fifth = learners[4]
        parent = fifth.guardianships.filter(may_collect=True).select_related("guardian").first()
        box.fill(fifth.name)
        row = page.locator(".desk-results tr", has_text=fifth.name).first
        row.get_by_label("Collected by").select_option(str(parent.guardian_id))
        with page.expect_response(lambda r: r.url.endswith("/out/")):
            row.get_by_role("button", name=f"Check out {fifth.name}").click()
        page.get_by_text(f"({parent.guardian.name})").wait_for()
        held = _count(page, "held")
        assert _count(page, "out") == 5

        page.goto(f"{live_server.url}/devices/end-of-day/")
        rows = page.locator("table.end-of-day tbody tr")
        collected = sum(int(r.locator("td").nth(1).inner_text()) for r in rows.all())
        still_held = sum(int(r.locator("td").nth(2).inner_text().split()[0]) for r in rows.all())
        assert (collected, still_held) == (5, held)
        check_accessibility(page)
        screenshot(page, "end-of-day")


def test_a_phone_collected_after_the_day_was_reconciled_goes_with_a_reason_typed_at_the_desk(
    page, live_server, sign_in
):
    with time_machine.travel(MORNING, tick=True):
        (learner,) = _elm_learners(1)
        office = get_user_model().objects.get(username="office")
        services.handover_check_in(learner=learner, by=office)

    with time_machine.travel(RECONCILED, tick=True):
        sign_in("office")
        page.goto(f"{live_server.url}/devices/end-of-day/")
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            page.get_by_role("button", name="Mark the day reconciled").click()
        expect(page.get_by_text("Changes to this day need a reason.")).to_be_visible()

    with time_machine.travel(LATE, tick=True):
        # A parent arrives after the office reconciled the day: Enter hands the phone back,
        # and the desk asks why, in a box the cursor is put in.
        page.goto(f"{live_server.url}/devices/desk/")
        box = page.get_by_label("Learner name, class or pouch number")
        expect(box).to_be_focused()
        page.keyboard.type(learner.name)
        page.locator(".desk-results th", has_text=learner.name).first.wait_for()
        with page.expect_response(lambda r: "/devices/desk/enter/" in r.url):
            page.keyboard.press("Enter")
        message = page.locator("#desk-message")
        expect(message).to_contain_text("has been reconciled: give a reason for this change.")
        reason = page.get_by_label("Reason for the change")
        expect(reason).to_be_focused()
        expect(box).to_have_value(learner.name)  # kept until the change is made
        check_accessibility(page)

        page.keyboard.type("Dad came at 16:40")
        with page.expect_response(lambda r: "/devices/desk/enter/" in r.url):
            page.keyboard.press("Enter")
        expect(message).to_contain_text(f"{learner.name}: phone collected by the learner.")
        expect(box).to_have_value("")
        expect(box).to_be_focused()
    handover = Handover.objects.get(learner=learner, school_day=MORNING.date())
    assert handover.out_at is not None
    assert handover.entries.get(kind="out").reason == "Dad came at 16:40"


def test_a_teacher_cannot_open_the_desk(page, live_server, sign_in):
    sign_in("teacher")
    response = page.goto(f"{live_server.url}/devices/desk/")
    assert response.status == 403
    assert "You cannot open this page" in page.content()
    check_accessibility(page)
