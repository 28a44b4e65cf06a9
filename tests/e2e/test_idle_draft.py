"""A concern written over a long idle time is not lost (WCAG 2.2.1), in Chromium: the draft is
kept as the teacher types, a warning offers "Stay signed in" before the sign-out, and a report
sent after the sign-out comes back as the teacher's draft when they sign in again."""

import re
from datetime import timedelta

import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Concern
from roper.models import Draft

WHAT = "A pupil said an older child keeps messaging her on a game at night."


def test_a_long_idle_report_is_kept_and_the_warning_extends_the_session(
    demo, page, live_server, sign_in, settings
):
    settings.IDLE_MINUTES = 1  # the warning then shows after 10 seconds
    with time_machine.travel(timezone.now(), tick=True) as clock:
        sign_in("teacher")
        # The page's timers run on a clock the test moves on, rather than waited for.
        page.clock.install()
        page.goto(f"{live_server.url}/incidents/new/")
        page.locator("#id_what_happened").fill(WHAT)
        page.get_by_label("Where").fill("Playground")
        page.clock.fast_forward(3_000)  # the draft is saved 3 s after the last key
        expect(page.locator("#draft-status")).to_contain_text("Draft saved at")
        assert Draft.objects.get().data["what_happened"] == [WHAT]

        warning = page.get_by_role("dialog", name="You will be signed out soon")
        expect(warning).to_be_hidden()
        page.clock.fast_forward(10_000)
        expect(warning).to_be_visible()
        with page.expect_response("**/session/extend/") as extended:
            warning.get_by_role("button", name="Stay signed in").click()
        assert extended.value.status == 204
        expect(warning).to_be_hidden()

        clock.shift(timedelta(minutes=2))  # away from the desk: the session goes idle
        page.get_by_role("button", name="Send the report").click()
        page.wait_for_url(re.compile(r"/accounts/login/"))
        expect(page.get_by_role("status").first).to_contain_text("kept as your draft")
        assert not Concern.objects.filter(what_happened=WHAT).exists()

        page.get_by_label("Username").fill("teacher")
        page.get_by_label("Password").fill("roper-demo")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/incidents/new/$"))
        expect(page.locator("#id_what_happened")).to_have_value(WHAT)
        expect(page.get_by_text("This is your draft from")).to_be_visible()
