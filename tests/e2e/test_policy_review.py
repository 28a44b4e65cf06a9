"""Policy: the headteacher starts a review of the seed policy, changes one sentence and records
the governors' ratification; a teacher is asked on their home page to read the new version and
acknowledges it."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from policies.models import Policy
from tests.e2e.conftest import check_accessibility, screenshot

pytestmark = pytest.mark.usefixtures("demo")  # the demo, as seed_demo makes it

LONDON = ZoneInfo("Europe/London")
AFTERNOON = datetime(2026, 11, 25, 14, 0, tzinfo=LONDON)  # a Wednesday in the autumn term
TITLE = "Mobile Technology and Social Media Policy"
OLD = "If a learner needs to contact his/her parents or carers they will be allowed to use"
NEW = "If a learner needs to contact their parents or carers, they will be allowed to use"


def test_the_head_reviews_the_policy_and_a_teacher_acknowledges_it(page, live_server, sign_in):
    with time_machine.travel(AFTERNOON, tick=True):
        policy = Policy.objects.get(title=TITLE)
        number = policy.current_version.number + 1
        main = page.locator("main")
        body = page.locator("article.policy-body")

        # -- The head starts a review -------------------------------------------------------
        sign_in("head")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Policies").click()
        page.wait_for_url("**/policies/")
        check_accessibility(page)
        page.get_by_role("link", name=TITLE).click()
        page.wait_for_url(f"**/policies/{policy.slug}/")
        expect(body).to_contain_text(OLD)
        check_accessibility(page)
        with page.expect_navigation():
            page.get_by_role("button", name="Start a review").click()
        page.wait_for_url(f"**/policies/{policy.slug}/draft/")
        expect(main).to_contain_text("Review started")
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"draft version {number}")
        check_accessibility(page)

        # … changes one sentence of §5.3 and saves the draft.
        text = page.get_by_label("Policy text (Markdown)")
        markdown = text.input_value()
        assert markdown.count(OLD) == 1
        text.fill(markdown.replace(OLD, NEW))
        page.get_by_label("What changed").fill("§5.3: plainer wording about the office phone.")
        with page.expect_navigation():
            page.get_by_role("button", name="Save draft").click()
        expect(main).to_contain_text("Draft saved.")
        expect(main).to_contain_text("Under review")
        expect(body).to_contain_text(OLD)  # staff still read the ratified text
        expect(body).not_to_contain_text(NEW)

        # … and records the governors' ratification.
        page.get_by_role("link", name="Record ratification").click()
        page.wait_for_url(f"**/policies/{policy.slug}/ratify/")
        expect(page.get_by_label("Date ratified")).to_have_value("2026-11-25")
        check_accessibility(page)
        with page.expect_navigation():
            page.get_by_role("button", name="Record ratification").click()
        expect(main).to_contain_text(f"Version {number} ratified.")
        expect(main).to_contain_text(f"Ratified Version {number}")
        expect(body).to_contain_text(NEW)
        expect(body).not_to_contain_text(OLD)
        check_accessibility(page)
        screenshot(page, "policy")

        page.get_by_role("link", name="Compare versions").click()
        page.wait_for_url(f"**/policies/{policy.slug}/diff/**")
        expect(main).to_contain_text("their parents or carers")
        check_accessibility(page)

        # -- A teacher is asked to read it, from their home page ----------------------------
        page.context.clear_cookies()
        sign_in("teacher")
        to_read = page.locator("section", has=page.get_by_role("heading", name="Policies to read"))
        expect(to_read).to_contain_text(f"{TITLE} (version {number}, ratified 25 Nov 2026)")
        check_accessibility(page)
        to_read.get_by_role("link", name=TITLE).click()
        page.wait_for_url(f"**/policies/{policy.slug}/")
        expect(body).to_contain_text(NEW)
        # A teacher reads and acknowledges; they do not review or ratify.
        for control in ("Start a review", "Record ratification", "Edit key details", "Archive"):
            expect(
                main.get_by_role("button", name=control).or_(main.get_by_role("link", name=control))
            ).to_have_count(0)
        check_accessibility(page)
        with page.expect_navigation():
            page.get_by_role("button", name="I have read and understood").click()
        expect(main).to_contain_text(f"Thank you: you have acknowledged version {number}.")
        expect(main).to_contain_text(f"You acknowledged version {number} on 25 November 2026.")
        expect(page.get_by_role("button", name="I have read and understood")).to_have_count(0)
        check_accessibility(page)

        page.goto(f"{live_server.url}/")
        expect(page.get_by_role("heading", name="Hello, Sam")).to_be_visible()
        expect(page.get_by_role("heading", name="Policies to read")).to_have_count(0)

        response = page.goto(f"{live_server.url}/policies/{policy.slug}/ratify/")
        assert response.status == 403
        expect(main).to_contain_text("You cannot open this page")
        check_accessibility(page)
