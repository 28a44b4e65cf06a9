"""A child's file moves with the child (issue 19): the DSL at Anthony Roper transfers a
learner with a concern and a confiscated phone to Darent Valley, the other school of the
trust; Darent Valley's DSL accepts it and sees the history; Anthony Roper keeps its records
(retention decides), the child marked as having left."""

import re

import pytest
from playwright.sync_api import expect

from devices import services as devices_services
from people.models import Learner, School
from tests.e2e.conftest import check_accessibility
from tests.factories import report
from transfers.models import Transfer

pytestmark = pytest.mark.usefixtures("demo")  # the demo, as seed_demo makes it

PHONE = "Green Nokia in a cracked case"
WHAT = "Amara was sent threatening messages on a game by someone she does not know."


def _amara():
    school = School.objects.get(urn="900001")
    learner = Learner.objects.filter(school=school, active=True).order_by("pk").first()
    learner.legal_first_name, learner.preferred_name = "Amara", ""
    learner.legal_last_name = "Whitlock-Osei"
    learner.save()
    from django.contrib.auth import get_user_model

    teacher = get_user_model().objects.get(username="teacher")
    concern = report(school, teacher, people=[(learner, "child")], what_happened=WHAT)
    devices_services.confiscation_record(
        learner=learner,
        device=PHONE,
        reason="Holds the messages",
        by=teacher,
        held_at="Office safe",
        concern=concern,
    )
    return learner


def test_a_learners_file_moves_to_the_other_school_of_the_trust(page, live_server, sign_in):
    page.on("dialog", lambda dialog: dialog.accept())  # "Send …? This cannot be undone." — yes
    learner = _amara()

    # -- The DSL at Anthony Roper sends the file -------------------------------------------
    sign_in("head")
    page.goto(f"{live_server.url}/learners/{learner.pk}/")
    page.get_by_role("link", name="Transfer their child-protection file").click()
    page.wait_for_url(f"**/learners/{learner.pk}/transfer/")
    check_accessibility(page)
    page.get_by_label("Send to").select_option(
        label="Darent Valley Primary School (demo) (in our trust, on Roper)"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Send the file").click()
    main = page.locator("main")
    expect(main).to_contain_text("must accept it")
    expect(page.locator("[data-status]")).to_contain_text("Sent, awaiting receipt")
    check_accessibility(page)

    # -- Darent Valley's DSL is told, accepts, and sees the history --------------------------
    page.context.clear_cookies()
    sign_in("darent")
    page.goto(f"{live_server.url}/notifications/")
    with page.expect_navigation():
        page.get_by_role(
            "button", name=re.compile("sent you a child-protection file")
        ).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Amara Whitlock-Osei")
    with page.expect_navigation():
        page.get_by_role("button", name="Accept the file").click()
    expect(main).to_contain_text("is now in your school")
    expect(page.locator("[data-status]")).to_contain_text("Accepted by the receiving school")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transfers").click()
    page.wait_for_url("**/transfers/")
    check_accessibility(page)
    page.get_by_role("list").get_by_role("link", name="Amara Whitlock-Osei").click()
    page.wait_for_url("**/chronology/")
    expect(main).to_contain_text("threatening messages")
    expect(main).to_contain_text(PHONE)
    copy = Learner.objects.get(school__urn="900002", upn=learner.upn)
    assert page.url.endswith(f"/learners/{copy.pk}/chronology/")

    # -- Anthony Roper keeps its records; the child has left -------------------------------
    page.context.clear_cookies()
    sign_in("head")
    page.goto(f"{live_server.url}/learners/{learner.pk}/chronology/")
    expect(main).to_contain_text("threatening messages")
    expect(main).to_contain_text(PHONE)
    page.goto(f"{live_server.url}/transfers/")
    expect(main).to_contain_text("Accepted by the receiving school")
    learner.refresh_from_db()
    assert not learner.active
    transfer = Transfer.objects.get(learner=learner)
    assert transfer.received_by_name == "Priya Shah"
