"""Enter pressed twice on the concern form, in Chromium: one concern, and the page it lands on
is that concern (roper.once)."""

import re
import time

import pytest
from playwright.sync_api import expect

from incidents.models import Concern

CATEGORY = "Allegation about a staff member's online conduct (§6.2)"
WHAT = "Pressed Enter twice: a message about a trip on a class group chat."


# Two POSTs at once, each in a transaction of its own: on SQLite the test server's threads share
# the test's one connection, so the second saw the first's claim before its record was made and
# went back to the form (it timed out on a laptop's `make test`). PostgreSQL, as in production.
@pytest.mark.postgres
def test_enter_pressed_twice_on_the_concern_form_sends_one_report(demo, page, sign_in, monkeypatch):
    # A slow server, as at the morning rush: the first report is still being saved when Enter
    # is pressed again, so the browser sends a second POST (on a fast one it may not).
    from incidents import services

    report = services.concern_report

    def slow_report(**kwargs):
        time.sleep(0.8)
        return report(**kwargs)

    monkeypatch.setattr(services, "concern_report", slow_report)
    sign_in("teacher")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Report a concern").click()
    page.wait_for_url("**/incidents/new/")
    page.get_by_label("Category").select_option(label=CATEGORY)
    page.get_by_role("radio", name="No").check()
    page.locator("#id_what_happened").fill(WHAT)
    where = page.get_by_label("Where")
    where.fill("Year 5 classroom")
    # Two POSTs leave the browser: the second cancels the first's navigation, not its request.
    sent = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" else None)
    where.focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    page.wait_for_load_state("networkidle")

    assert len(sent) == 2, f"the browser sent {len(sent)} POSTs, not two: the test proves nothing"
    concern = Concern.objects.get(what_happened=WHAT)
    assert page.url.endswith(f"/incidents/{concern.pk}/")
    expect(page.locator("main")).to_contain_text(WHAT)
