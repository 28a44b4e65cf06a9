"""A form sent back with errors: the browser's title starts with "Error: ", the focus is on the
error summary (so a screen reader reads it first), and each link in it puts the focus on its
field (GOV.UK's error summary)."""

from playwright.sync_api import expect

from tests.e2e.conftest import check_accessibility
from tests.factories import category


def test_the_concern_form_sent_empty_takes_the_focus_to_the_error_summary(page, live_server, world):
    category(world.school, "social_media")  # the categories the form offers are seeded
    client_cookie(page, live_server, world.users["teacher"])
    page.goto(f"{live_server.url}/incidents/new/")
    with page.expect_navigation():
        page.get_by_role("button", name="Send the report").click()
    assert page.title().startswith("Error: Report a concern")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    summary.get_by_role("link", name="Choose an answer for “Category”.").click()
    expect(page.locator("#id_category")).to_be_focused()
    check_accessibility(page)


def client_cookie(page, live_server, user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": k, "value": v.value, "url": live_server.url} for k, v in client.cookies.items()]
    )
