"""Confiscation (§5.3): a teacher confiscates a phone; the office puts it in the secure store
and, at home time, releases it only to a parent or carer on file who may collect."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from devices.models import Confiscation, CustodyState
from people.models import Learner
from tests.e2e.conftest import check_accessibility

pytestmark = pytest.mark.usefixtures("demo")  # the demo, as seed_demo makes it

LONDON = ZoneInfo("Europe/London")
LESSON = datetime(2026, 11, 25, 11, 20, tzinfo=LONDON)  # a Wednesday in the autumn term
PHONE = "Black Samsung phone in a red case"


def _learner_with_a_grandparent_who_may_not_collect():
    """A learner with a unique name, one parent who may collect and one carer on file who may
    not (the demo has a few grandparents like that)."""
    for learner in Learner.objects.filter(
        guardianships__may_collect=False, confiscations__isnull=True
    ).order_by("pk"):
        if (
            Learner.objects.filter(
                school=learner.school,
                legal_first_name=learner.legal_first_name,
                legal_last_name=learner.legal_last_name,
            ).count()
            == 1
            and learner.guardianships.filter(may_collect=True).exists()
        ):
            return learner
    raise AssertionError("the demo has no learner with a carer who may not collect")


def _field(page, term):
    return page.locator("dt", has_text=term).locator("xpath=following-sibling::dd[1]")


def _move(page, heading):
    return page.locator("section", has=page.get_by_role("heading", name=heading))


def test_a_confiscated_phone_goes_back_only_to_a_parent_on_file(page, live_server, sign_in):
    page.on("dialog", lambda dialog: dialog.accept())  # "Record this move?" — yes
    with time_machine.travel(LESSON, tick=True):
        learner = _learner_with_a_grandparent_who_may_not_collect()
        parent = learner.guardianships.filter(may_collect=True).select_related("guardian")[0]
        not_allowed = learner.guardianships.filter(may_collect=False).select_related("guardian")[0]

        # -- The teacher confiscates the phone in class --------------------------------------
        sign_in("teacher")
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Confiscations"
        ).click()
        page.wait_for_url("**/devices/confiscations/")
        page.get_by_role("link", name="Record a confiscation").click()
        page.wait_for_url("**/devices/confiscations/new/")
        check_accessibility(page)
        page.get_by_label("Learner").select_option(label=learner.label)
        page.get_by_label("Device description").fill(PHONE)
        page.locator("#id_reason_kind").select_option("images")
        page.get_by_label("What happened").fill(
            "Used in a lesson to take photos of other children."
        )
        page.get_by_label("Where it is held").fill(f"{learner.class_name} classroom, locked drawer")
        with page.expect_navigation():
            page.get_by_role("button", name="Record", exact=True).click()
        main = page.locator("main")
        expect(main).to_contain_text("Confiscation recorded.")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"{PHONE} — {learner.name}")
        expect(_field(page, "State")).to_have_text("Confiscated")
        # A teacher may put it in the store but may not release it.
        expect(page.get_by_role("heading", name="Place in secure store")).to_be_visible()
        expect(page.get_by_role("heading", name="Release to a parent or carer")).to_have_count(0)
        check_accessibility(page)
        confiscation = Confiscation.objects.get(device=PHONE)

        # -- The office puts it in the safe ---------------------------------------------------
        page.context.clear_cookies()
        sign_in("office")
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Confiscations"
        ).click()
        page.wait_for_url("**/devices/confiscations/")
        row = page.locator("tbody tr", has_text=PHONE)
        expect(row).to_contain_text(learner.name)
        expect(row).to_contain_text("Confiscated")
        check_accessibility(page)
        row.get_by_role("link").click()
        page.wait_for_url(f"**/devices/confiscations/{confiscation.pk}/")
        store = _move(page, "Place in secure store")
        store.get_by_label("Where it is stored").fill("Office safe")
        with page.expect_navigation():
            store.get_by_role("button", name="Record").click()
        expect(main).to_contain_text("Recorded: in secure store.")
        expect(_field(page, "State")).to_have_text("In secure store")
        expect(_field(page, "Held at")).to_have_text("Office safe")
        check_accessibility(page)

        # -- Someone not on file as allowed to collect asks for it: refused ------------------
        release = _move(page, "Release to a parent or carer")
        who = release.get_by_label("Parent or carer on file")
        options = who.locator("option").all_inner_texts()
        assert parent.guardian.name in options
        assert not_allowed.guardian.name not in options  # on file, but may not collect
        # Only the headteacher may name someone not on file.
        expect(release.get_by_text("Or someone not on file")).to_have_count(0)
        expect(release.get_by_label("Name (not on file)")).to_have_count(0)

        release.get_by_label("I have checked their identity").check()
        with page.expect_navigation():
            release.get_by_role("button", name="Record").click()
        expect(main).to_contain_text("Choose a parent or carer on file")
        expect(_field(page, "State")).to_have_text("In secure store")
        check_accessibility(page)  # the refusal message too

        # Even a doctored form (her id slipped into the list) is refused by the server.
        release = _move(page, "Release to a parent or carer")
        who = release.get_by_label("Parent or carer on file")
        who.evaluate(
            "(select, [id, name]) => select.add(new Option(name, id))",
            [str(not_allowed.guardian_id), not_allowed.guardian.name],
        )
        who.select_option(str(not_allowed.guardian_id))
        release.get_by_label("I have checked their identity").check()
        with page.expect_navigation():
            release.get_by_role("button", name="Record").click()
        expect(main).to_contain_text("Check the details of the move.")
        expect(_field(page, "State")).to_have_text("In secure store")
        confiscation.refresh_from_db()
        assert confiscation.state == CustodyState.SECURED

        # -- The parent on file who may collect takes it home --------------------------------
        release = _move(page, "Release to a parent or carer")
        release.get_by_label("Parent or carer on file").select_option(label=parent.guardian.name)
        release.get_by_label("I have checked their identity").check()
        with page.expect_navigation():
            release.get_by_role("button", name="Record").click()
        expect(main).to_contain_text("Recorded: released to parent/carer.")
        expect(_field(page, "State")).to_have_text("Released to parent/carer")
        events = page.locator("ol.custody-events > li")
        expect(events).to_have_count(3)
        expect(events.nth(0)).to_contain_text("Confiscated")
        expect(events.nth(1)).to_contain_text("Office safe")
        expect(events.nth(2)).to_contain_text(
            f"to {parent.guardian.name} ({parent.relationship}), identity checked by Jo Marsh"
        )
        expect(page.get_by_role("heading", name="Release to a parent or carer")).to_have_count(0)
        check_accessibility(page)
        confiscation.refresh_from_db()
        assert confiscation.state == CustodyState.RELEASED

        # The office releases devices but does not confiscate them.
        response = page.goto(f"{live_server.url}/devices/confiscations/new/")
        assert response.status == 403
        expect(main).to_contain_text("You cannot open this page")
        check_accessibility(page)
