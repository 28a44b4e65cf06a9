import pytest

from tests.e2e.conftest import check_accessibility

pytestmark = pytest.mark.usefixtures("demo")  # the demo, as seed_demo makes it


def test_a_teacher_signs_in_with_the_keyboard_and_sees_only_their_navigation(
    page, live_server, sign_in
):
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url  # every page needs sign-in
    check_accessibility(page)

    # Keyboard only: the username box has focus, Tab to the password, Enter to submit.
    page.keyboard.type("teacher")
    page.keyboard.press("Tab")
    page.keyboard.type("roper-demo")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.get_by_role("heading", name="Hello, Sam").is_visible()
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Learners").is_visible()
    assert nav.get_by_role("link", name="Admin").count() == 0
    check_accessibility(page)


def test_a_wrong_password_is_refused_with_a_message(page, live_server, sign_in):
    sign_in("teacher", password="not-the-password")
    assert "did not match" in page.content()
    assert "/accounts/login/" in page.url


def test_the_skip_link_moves_focus_to_the_main_content(page, live_server, sign_in):
    sign_in("teacher")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box()["x"] >= 0  # visible when focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
