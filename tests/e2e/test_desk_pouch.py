"""Office morning and evening with pouch numbers (issue 16): the office checks a learner in
with a pouch number typed after the name (one already in use today is refused, and what was
typed stays to be corrected), sees the learner's parent-contact exception on their row, and at
the end of the day opens the printable list of the phones not yet collected."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from devices import desk
from devices.models import Handover, ParentContactException
from people.calendar import SchoolCalendar
from tests.e2e.conftest import check_accessibility

pytestmark = pytest.mark.usefixtures("demo")  # the demo, as seed_demo makes it

LONDON = ZoneInfo("Europe/London")
MORNING = datetime(2026, 11, 25, 9, 5, tzinfo=LONDON)  # a Wednesday in the autumn term
EVENING = datetime(2026, 11, 25, 16, 40, tzinfo=LONDON)


def test_the_office_checks_a_phone_in_with_a_pouch_number_and_prints_the_uncollected(
    page, live_server, sign_in
):
    with time_machine.travel(MORNING, tick=True):
        # The demo's learner whose mother may phone at lunchtime; their name finds them alone.
        learner = ParentContactException.objects.get(status="approved").learner
        day = SchoolCalendar.today()
        assert [lr.pk for lr in desk.search(school=learner.school, q=learner.name, day=day)] == [
            learner.pk
        ]
        taken = Handover.objects.filter(school_day=day).exclude(tag="").select_related("learner")
        taken = taken.order_by("pk").first()  # a pouch another learner's phone is in today
        used = set(Handover.objects.filter(school_day=day).values_list("tag", flat=True))
        free = next(f"P{n}" for n in range(900, 1000) if f"P{n}" not in used)

        sign_in("office")
        box = page.get_by_label("Learner name, class or pouch number")
        pouch = page.locator("#desk-tag")
        expect(box).to_be_focused()
        page.keyboard.type(learner.name)
        row = page.locator(".desk-results tr", has_text=learner.name).first
        expect(row.locator(".parent-contact")).to_contain_text("Parent contact allowed")
        expect(row.locator(".parent-contact")).to_contain_text("Mum may phone at lunchtime")

        # Name, Tab, pouch number, Enter: a number in use today is refused in plain words …
        page.keyboard.press("Tab")
        expect(pouch).to_be_focused()
        page.keyboard.type(taken.tag)
        with page.expect_response(lambda r: "/devices/desk/enter/" in r.url):
            page.keyboard.press("Enter")
        message = page.locator("#desk-message")
        expect(message).to_contain_text(f"Pouch {taken.tag} is already in use today")
        expect(message).to_contain_text(taken.learner.name)
        expect(box).to_have_value(learner.name)  # kept, to be corrected
        expect(pouch).to_be_focused()
        check_accessibility(page)

        # … so the office types the pouch's real number and presses Enter again.
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type(free)
        with page.expect_response(lambda r: "/devices/desk/enter/" in r.url):
            page.keyboard.press("Enter")
        expect(message).to_contain_text(
            f"{learner.name} ({learner.class_name}): phone in. Pouch {free}."
        )
        expect(box).to_have_value("")
        expect(pouch).to_have_value("")
        expect(box).to_be_focused()
        handover = Handover.objects.get(learner=learner, school_day=day)
        assert handover.tag == free

    with time_machine.travel(EVENING, tick=True):
        page.reload()  # hours later Roper has signed the office out
        sign_in("office")
        page.get_by_role("link", name="End of day: the phones still held, per class").click()
        page.wait_for_url("**/devices/end-of-day/")
        page.get_by_role("link", name="print the list of phones not yet collected").click()
        page.wait_for_url("**/devices/end-of-day/print/**")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Phones not yet collected")
        printed = page.locator("table.uncollected tbody tr", has_text=learner.name)
        expect(printed).to_contain_text(learner.class_name)
        expect(printed).to_contain_text(learner.get_year_group_display())
        expect(printed).to_contain_text(free)
        expect(printed).to_contain_text(f"{handover.in_at.astimezone(LONDON):%H:%M}")
        held = Handover.objects.filter(school_day=day, out_at__isnull=True).count()
        expect(page.locator("table.uncollected tbody tr")).to_have_count(held)
        expect(page.get_by_role("button", name="Print")).to_be_visible()
        check_accessibility(page)

        # On paper: no menu, no buttons, and the table is the width of the page.
        page.emulate_media(media="print")
        expect(page.get_by_role("button", name="Print")).to_be_hidden()
        expect(page.locator("header").first).to_be_hidden()
        expect(printed).to_be_visible()
