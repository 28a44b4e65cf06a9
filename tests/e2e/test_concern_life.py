"""A concern's life: a teacher reports an allegation with a photo as evidence; the head (DSL,
signing in with two-factor) sees it on the dashboard, opens it, triages it, records the LADO
referral and closes it with an outcome; the teacher sees that it was read, and nothing more."""

import struct
import zlib
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from incidents.models import Concern
from tests.e2e.conftest import check_accessibility, screenshot

pytestmark = pytest.mark.usefixtures("demo")  # the demo, as seed_demo makes it

LONDON = ZoneInfo("Europe/London")
MORNING = datetime(2026, 11, 25, 10, 15, tzinfo=LONDON)  # a Wednesday in the autumn term
CATEGORY = "Allegation about a staff member's online conduct (§6.2)"
WHAT = "A parent showed me a post from a staff member's public account naming a child."
TRIAGE_REASON = "Named a child publicly; LADO to be consulted today."
LADO_ADVICE = "LADO advised a conversation under the staff code of conduct."


def _png(path):
    """A real 2×2 PNG (the server checks the file's content, not its name)."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return path


def _sign_in_with_code(page, sign_in, username, code):
    sign_in(username)
    assert "/accounts/two-factor/" in page.url  # the password alone does not open Roper
    check_accessibility(page)
    code_box = page.get_by_label("Code")
    expect(code_box).to_be_focused()
    code_box.fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()


def _field(page, term):
    """The value beside a term of the concern's summary (a <dl>)."""
    return page.locator("dt", has_text=term).locator("xpath=following-sibling::dd[1]")


def _record(page, summary):
    """Open one of the concern page's <details> record forms and return it."""
    section = page.locator("details", has=page.locator("summary", has_text=summary))
    section.locator("summary").click()
    return section


def test_a_concern_from_report_to_closure(page, live_server, sign_in, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    settings.TWO_FACTOR_ENFORCED = True
    photo = _png(tmp_path / "screenshot-of-post.png")

    with time_machine.travel(MORNING, tick=True):
        # -- The teacher reports it ------------------------------------------------------
        sign_in("teacher")  # a teacher's role does not need two-factor
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Report a concern"
        ).click()
        page.wait_for_url("**/incidents/new/")
        check_accessibility(page)
        page.get_by_label("Category").select_option(label=CATEGORY)
        guidance = page.locator("#category-guidance-text")
        expect(guidance).to_contain_text("discussed with the LADO")
        expect(page.locator("#online-fields")).to_be_hidden()  # not an online category
        page.get_by_role("radio", name="No").check()
        page.locator("#id_what_happened").fill(WHAT)
        page.get_by_label("Where").fill("School gate, at pick-up")
        page.locator("#id_people-0-kind").select_option(label="Staff member")
        page.locator("#id_people-0-staff").select_option(label="Jo Marsh")
        page.locator("#id_people-0-part").select_option(label="Alleged perpetrator")
        page.get_by_label("Evidence (images or PDFs, up to 10 MB each)").set_input_files(photo)
        check_accessibility(page)  # with the category's guidance shown
        with page.expect_navigation():
            page.get_by_role("button", name="Send the report").click()

        expect(page.get_by_role("status").first).to_contain_text("Thank you. Your report")
        concern = Concern.objects.get(what_happened=WHAT)
        assert page.url.endswith(f"/incidents/{concern.pk}/")
        expect(page.get_by_role("link", name="screenshot-of-post.png")).to_be_visible()
        detail = page.locator("main")
        expect(_field(page, "Read by the DSL")).to_have_text("Not yet")
        # The reporter sees their report, not the triage: no owner, no record forms, no log.
        expect(detail).not_to_contain_text("Risk level")
        expect(page.get_by_role("heading", name="Record", exact=True)).to_have_count(0)
        expect(page.get_by_role("heading", name="Who viewed this record")).to_have_count(0)
        check_accessibility(page)

        # … and the dashboard URL is refused.
        response = page.goto(f"{live_server.url}/incidents/dashboard/")
        assert response.status == 403
        expect(page.locator("main")).to_contain_text("You cannot open this page")
        check_accessibility(page)

        # -- The head (a DSL) signs in with a backup code ---------------------------------
        page.context.clear_cookies()
        _sign_in_with_code(page, sign_in, "head", "11111111")
        assert page.url.endswith("/incidents/dashboard/")  # the DSL lands on the dashboard
        new = page.locator("section", has=page.get_by_role("heading", name="New"))
        row = new.locator("tr", has=page.get_by_role("link", name=f"#{concern.pk}", exact=True))
        expect(row).to_contain_text(CATEGORY)
        expect(row).to_contain_text("Unread")
        check_accessibility(page)
        screenshot(page, "dashboard")

        row.get_by_role("link", name=f"#{concern.pk}").click()
        page.wait_for_url(f"**/incidents/{concern.pk}/")
        main = page.locator("main")
        expect(_field(page, "Read by the DSL")).to_contain_text("Yes")
        expect(main).to_contain_text("Jo Marsh (staff member, alleged perpetrator)")
        expect(main).to_contain_text("still to record: LADO")
        with page.expect_download() as download:
            page.get_by_role("link", name="screenshot-of-post.png").click()
        assert download.value.path().read_bytes() == photo.read_bytes()
        check_accessibility(page)

        # Triage: risk, owner and reason. The LADO referral is still owed.
        triage = _record(page, "Triage decision")
        triage.get_by_label("Risk level").select_option(label="Medium")
        triage.get_by_label("Owner").select_option(label="Lynda Newton")
        triage.get_by_label("Reason").fill(TRIAGE_REASON)
        check_accessibility(page)  # with a record form open
        with page.expect_navigation():
            triage.get_by_role("button", name="Record triage decision").click()
        expect(main).to_contain_text("Triage decision recorded.")
        expect(_field(page, "Status")).to_have_text("Awaiting referral")

        # The LADO referral, with the advice given.
        referral = _record(page, "Referral")
        referral.get_by_label("Referral").select_option(label="LADO")
        referral.get_by_label("Date and time").fill("2026-11-25T10:15")
        referral.get_by_label("Outcome").fill("No further action by the LADO.")
        referral.get_by_label("Notes (e.g. advice given)").fill(LADO_ADVICE)
        with page.expect_navigation():
            referral.get_by_role("button", name="Record referral").click()
        expect(main).to_contain_text("Referral recorded.")
        expect(_field(page, "Status")).to_have_text("In progress")
        expect(main).not_to_contain_text("still to record")
        expect(page.get_by_role("heading", name="Referral: LADO")).to_be_visible()
        check_accessibility(page)
        screenshot(page, "concern")

        # Close with the decision, reason and outcome (the button asks first).
        close = _record(page, "Close the concern")
        close.get_by_label("Decision").fill("Managed under the staff code of conduct.")
        close.get_by_label("Reason").fill("LADO threshold not met.")
        close.get_by_label("Outcome").fill("Post removed; the parent was told.")
        close.get_by_label("Finding (allegations about staff)").select_option("substantiated")
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            close.get_by_role("button", name="Close", exact=True).click()
        expect(main).to_contain_text("The concern is closed.")
        expect(_field(page, "Status")).to_have_text("Closed")
        expect(page.get_by_role("heading", name="Record", exact=True)).to_have_count(0)
        check_accessibility(page)
        concern.refresh_from_db()
        assert concern.status == Concern.Status.CLOSED
        assert concern.outcome == "Post removed; the parent was told."

        # -- The teacher sees that it was read, and none of the triage ----------------------
        page.context.clear_cookies()
        sign_in("teacher")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="My reports").click()
        page.wait_for_url("**/incidents/")
        mine = page.locator("tr", has=page.get_by_text(CATEGORY))
        expect(mine).to_contain_text("Closed")
        expect(mine).to_contain_text("Read 25 Nov")
        check_accessibility(page)
        mine.get_by_role("link", name="View or add information").click()
        page.wait_for_url(f"**/incidents/{concern.pk}/")
        expect(_field(page, "Read by the DSL")).to_contain_text("Yes")
        for secret in (TRIAGE_REASON, LADO_ADVICE, "Post removed", "Who viewed"):
            expect(main).not_to_contain_text(secret)
        check_accessibility(page)


def test_an_overdue_concern_stands_out_on_the_dashboard_and_stays_readable(
    page, live_server, sign_in
):
    # The demo's three concerns, reported on Wednesday, each to be triaged within a school day.
    with time_machine.travel(datetime(2026, 11, 27, 9, 0, tzinfo=LONDON), tick=True):  # Friday
        sign_in("head")
        assert page.url.endswith("/incidents/dashboard/")
        new = page.locator("section", has=page.get_by_role("heading", name="New"))
        expect(new.get_by_text("Overdue by").first).to_be_visible()
        check_accessibility(page)  # the overdue rows' colours keep their contrast
