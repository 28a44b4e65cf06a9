"""Browser journeys: Playwright driving Debian's Chromium against pytest-django's live server.

Every test here is marked `browser`: under CI=true it fails without Chromium, elsewhere it is
skipped. `check_accessibility(page)` runs axe-core (vendored here, in tests/e2e/vendor/: a test
tool, not something Roper serves) on the page and fails on any violation of impact serious or
critical against WCAG 2.2 A/AA rules.
"""

import os
from pathlib import Path

import pytest

from tests.conftest import CHROMIUM

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server + sync Playwright

AXE = Path(__file__).resolve().parent / "vendor/axe-core-4.11.0/axe.min.js"
#: The page's CSP allows only same-origin scripts, so axe is loaded from a same-origin URL that
#: the browser answers from the file above (`page.route`); the server never sees it.
AXE_PATH = "/__tests__/axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs/screenshots"


def screenshot(page, name, *, full_page=False):
    """Save a picture for the README, at a laptop and a tablet size — only when asked
    (`make screenshots`), so that running the tests leaves the work tree as it was."""
    if not os.environ.get("ROPER_SCREENSHOTS"):
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for label, viewport in (
        ("laptop", {"width": 1280, "height": 800}),
        ("tablet", {"width": 820, "height": 1180}),
    ):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=full_page)
    page.set_viewport_size(size)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A browser set up as in an English school: British English, London time."""
    return {**browser_context_args, "locale": "en-GB", "timezone_id": "Europe/London"}


@pytest.fixture
def sign_in(page, live_server):
    """Sign in through the real form, as a person would."""

    def _sign_in(username, password="roper-demo"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in").click()
        return page

    return _sign_in


def check_accessibility(page):
    if not page.evaluate("typeof window.axe !== 'undefined'"):  # once per page, not per check
        url = page.evaluate("location.origin") + AXE_PATH
        page.route(url, lambda route: route.fulfill(path=AXE))
        page.add_script_tag(url=url)
        page.unroute(url)
    result = page.evaluate(
        # Violations only: the passes and incomplete results, never read, cost as much again.
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"axe on {page.url}:\n" + "\n".join(serious)
