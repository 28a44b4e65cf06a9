"""An action on a concern: the DSL gives the class teacher an action with a due date; the
teacher finds it under "My actions", opens the concern, marks it done, and the DSL's page
says who did it and when."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from incidents.models import Concern, Entry
from tests.e2e.conftest import check_accessibility

pytestmark = pytest.mark.usefixtures("demo")

LONDON = ZoneInfo("Europe/London")
MORNING = datetime(2026, 11, 25, 10, 15, tzinfo=LONDON)  # a Wednesday in the autumn term
WHAT = "Check in with her at break and note what she says about the app."
REPORTED = "Said in class they have a TikTok account"


def test_the_dsl_gives_an_action_and_the_teacher_marks_it_done(page, live_server, sign_in):
    concern = Concern.objects.get(what_happened__startswith=REPORTED)
    url = f"{live_server.url}/incidents/{concern.pk}/"
    with time_machine.travel(MORNING, tick=True):
        # -- The DSL gives the class teacher an action --------------------------------------
        sign_in("head")
        page.goto(url)
        main = page.locator("main")
        action = page.locator("details", has=page.locator("summary", has_text="Action"))
        action.locator("summary").click()
        action.get_by_label("What").fill(WHAT)
        who = action.get_by_label("Who")
        # Only people who may open the concern are offered: not the office, not a governor.
        options = who.locator("option").all_inner_texts()
        assert "Sam Patel" in options and "Jo Marsh" not in options and "Chris Dee" not in options
        who.select_option(label="Sam Patel")
        action.get_by_label("Due").fill("2026-11-26")
        check_accessibility(page)
        with page.expect_navigation():
            action.get_by_role("button", name="Record action").click()
        expect(main).to_contain_text("Action recorded.")
        expect(main).to_contain_text("Who: Sam Patel · due 26 Nov 2026 · not done yet")

        # -- The teacher finds it and marks it done ------------------------------------------
        page.context.clear_cookies()
        sign_in("teacher")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="My actions").click()
        page.wait_for_url("**/incidents/actions/")
        mine = page.locator("main li", has_text=WHAT)
        expect(mine).to_contain_text("due 26 Nov 2026")
        check_accessibility(page)
        page.set_viewport_size({"width": 320, "height": 640})
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 320
        page.set_viewport_size({"width": 1280, "height": 800})
        mine.get_by_role("link", name=f"Concern {concern.pk}").click()
        page.wait_for_url(f"**/incidents/{concern.pk}/")
        expect(main).to_contain_text(WHAT)  # the reporter's view shows the action given to her
        check_accessibility(page)
        with page.expect_navigation():
            page.get_by_role("button", name="Mark this action done").click()
        expect(main).to_contain_text("The action is marked done.")
        expect(main).to_contain_text("done by Sam Patel on 25 Nov 2026")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="My actions").click()
        expect(page.locator("main")).to_contain_text("No actions are waiting for you.")

        # -- The DSL sees who did it -------------------------------------------------------
        page.context.clear_cookies()
        sign_in("head")
        page.goto(url)
        expect(main).to_contain_text("done by Sam Patel on 25 Nov 2026")
        expect(page.get_by_role("button", name="Mark this action done")).to_have_count(0)
    done = Entry.objects.get(concern=concern, text=WHAT)
    assert done.action_done and done.action_done_by.username == "teacher"
