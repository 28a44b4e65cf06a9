"""The report form in a real browser: guidance as you choose a category, the 999 message at
once, the no-images reason for sexual images; and the dashboard, with axe checks."""

import pytest

from tests.e2e.conftest import (  # noqa: F401 - fixtures
    browser_type_launch_args,
    check_accessibility,
    sign_in,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("demo"),
]


def test_the_report_form_reacts_to_the_category_and_to_danger(page, live_server, sign_in):  # noqa: F811
    sign_in("teacher")
    page.goto(f"{live_server.url}/incidents/new/")
    check_accessibility(page)
    danger = page.locator("#danger-alert")
    assert not danger.is_visible()
    page.get_by_label("Yes").check()
    assert danger.is_visible() and "Call 999 now" in danger.inner_text()

    page.get_by_label("Category").select_option(
        label="Learner social media concern, including under-13 use (§6.1, §8.3)"
    )
    assert "underage use" in page.locator("#category-guidance-text").inner_text()
    assert page.locator("#online-fields").is_visible()

    page.get_by_label("Category").select_option(
        label="Sexual images of children (nudes and semi-nudes)"
    )
    reason = page.locator("#no-images-reason")
    assert reason.is_visible() and "UKCIS" in reason.inner_text()
    check_accessibility(page)


def test_the_dsl_dashboard_is_accessible(page, live_server, sign_in):  # noqa: F811
    sign_in("head")
    assert page.url.endswith("/incidents/dashboard/")  # the DSL lands on the dashboard
    assert page.get_by_role("heading", name="New").is_visible()
    check_accessibility(page)
    page.locator("#queues tbody a").first.click()
    assert page.get_by_role("heading", name="Who viewed this record").is_visible()
    check_accessibility(page)
