"""The desk and the report form work with the keyboard alone, and whatever has the focus shows
it (WCAG 2.4.7): an outline or Bootstrap's focus ring (a box-shadow)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from incidents.models import Category, Concern
from people.calendar import SchoolCalendar
from people.models import Learner
from tests.e2e.conftest import check_accessibility

pytestmark = pytest.mark.usefixtures("demo")  # the demo, as seed_demo makes it

LONDON = ZoneInfo("Europe/London")
MORNING = datetime(2026, 11, 25, 9, 5, tzinfo=LONDON)  # a Wednesday in the autumn term

#: What has the focus, and whether it is drawn: an outline of some width, or a box-shadow
#: with a spread or blur (Bootstrap's focus ring), on an element that takes up space.
FOCUS = r"""() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const shadow = s.boxShadow !== "none"
    && (s.boxShadow.match(/-?[\d.]+px/g) || []).some((v) => parseFloat(v) > 0);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
  // A date box's own calendar button (inside the browser's shadow tree) draws its own ring:
  // the input is then the active element without matching :focus.
  const pickerButton = /^(date|datetime-local|time)$/.test(el.type) && !el.matches(":focus");
  const text = (el.innerText || "").replace(/\s+/g, " ").trim();
  return {
    what: `${el.tagName.toLowerCase()}#${el.id} ${(text || el.name || "").slice(0, 40)}`,
    id: el.id,
    text: text,
    body: el === document.body,
    visible: (outline || shadow || pickerButton) && box.width > 0 && box.height > 0,
  };
}"""


def _focus(page):
    return page.evaluate(FOCUS)


def _tab(page, key="Tab"):
    """Press Tab; the element that gets the focus must show it."""
    page.keyboard.press(key)
    focus = _focus(page)
    assert focus["body"] or focus["visible"], f"no visible focus on {focus['what']}"
    return focus


def _tab_to(page, wanted, limit=80):
    for _ in range(limit):
        focus = _tab(page)
        if wanted(focus):
            return focus
    raise AssertionError("Tab never reached the element")


def _tab_around(page, limit=120):
    """Tab through every stop on the page until the focus comes back; each must show it."""
    first = _focus(page)["what"]
    seen = []
    for _ in range(limit):
        focus = _tab(page)
        if focus["what"] == first:
            return seen
        if not focus["body"]:  # past the last stop the page itself has the focus
            seen.append(focus["what"])
    raise AssertionError(f"the focus never came back round: {seen[-5:]}")


def _sign_in_by_keyboard(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.keyboard.type(username)  # the username box has the focus
    assert _focus(page)["visible"]
    _tab(page)
    page.keyboard.type("roper-demo")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _unique(queryset):
    for learner in queryset.order_by("pk"):
        if (
            Learner.objects.filter(
                legal_first_name=learner.legal_first_name,
                legal_last_name=learner.legal_last_name,
            ).count()
            == 1
        ):
            return learner
    raise AssertionError("no learner with a unique name")


def test_the_desk_works_with_the_keyboard_alone(page, live_server):
    page.emulate_media(reduced_motion="reduce")  # focus rings drawn at once, not faded in
    page.on("dialog", lambda dialog: dialog.accept())
    with time_machine.travel(MORNING, tick=True):
        # Not in today (the demo has the learners' handovers of last term too).
        today = SchoolCalendar.today()
        learner = _unique(
            Learner.objects.filter(class_name="Oak").exclude(handovers__school_day=today)
        )
        _sign_in_by_keyboard(page, live_server, "office")
        box = page.get_by_label("Learner name, class or pouch number")
        expect(box).to_be_focused()
        assert _focus(page)["visible"]
        held = int(page.locator("#count-held").inner_text())

        # Type the name, Tab past the pouch number box and the Enter button to the learner's
        # own "Check in" button, press Space.
        page.keyboard.type(learner.name)
        page.locator(".desk-results th", has_text=learner.name).first.wait_for()
        assert _tab(page)["id"] == "desk-tag"
        assert _tab(page)["text"] == "Enter"
        focus = _tab(page)
        assert focus["text"] == f"Check in {learner.name}"
        with page.expect_response(lambda r: r.url.endswith(f"/desk/{learner.pk}/in/")):
            page.keyboard.press("Space")
        expect(box).to_be_focused()  # ready for the next learner
        expect(page.locator("#count-held")).to_have_text(str(held + 1))

        # A mistake: Tab to its Undo button and press Enter (the confirmation is accepted).
        _tab_to(page, lambda f: f["text"].startswith(f"Undo checked in of {learner.name}"))
        with page.expect_response(lambda r: "/desk/undo/" in r.url):
            page.keyboard.press("Enter")
        expect(page.locator("#count-held")).to_have_text(str(held))
        check_accessibility(page)

        # Every stop on the desk page shows where the focus is.
        box.focus()
        stops = _tab_around(page)
        assert any("Check in the class" in s for s in stops)
        assert any("Skip to main content" in s for s in stops)


def test_a_concern_can_be_reported_with_the_keyboard_alone(page, live_server, settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    page.emulate_media(reduced_motion="reduce")
    with time_machine.travel(MORNING, tick=True):
        learner = _unique(Learner.objects.filter(class_name="Hazel"))
        _sign_in_by_keyboard(page, live_server, "teacher")
        expect(page.get_by_role("heading", name="Hello, Sam")).to_be_visible()

        _tab_to(page, lambda f: f["text"] == "Report a concern")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/incidents/new/")

        # Category: Tab to the list and type the start of the name.
        _tab_to(page, lambda f: f["id"] == "id_category")
        page.keyboard.type("Abusive")
        abusive = Category.objects.get(school=learner.school, key="abusive_messages")
        expect(page.get_by_label("Category")).to_have_value(str(abusive.pk))
        expect(page.locator("#category-guidance-text")).to_contain_text("Do not reply")
        _tab(page)  # the danger question: "No" is chosen and has the focus
        assert page.get_by_role("radio", name="No").evaluate("el => el === document.activeElement")
        _tab(page)
        page.keyboard.type("Unkind messages about a classmate in the class group chat.")
        _tab_to(page, lambda f: f["id"] == "id_where")  # past the date and time, kept as now
        page.keyboard.type("Class group chat")
        _tab_to(page, lambda f: f["id"] == "id_dsl_told_verbally")
        page.keyboard.press("Space")
        _tab_to(page, lambda f: f["id"] == "id_platform")
        page.keyboard.type("WhatsApp")

        # The child of concern, in the first row of people.
        _tab_to(page, lambda f: f["id"] == "id_people-0-kind")
        page.keyboard.type("Learner")
        _tab(page)
        page.keyboard.type(learner.name)  # the name box searches the school's learners
        page.locator(f"#people-0-learner-{learner.pk}").wait_for()
        _tab_to(page, lambda f: f["id"] == f"people-0-learner-{learner.pk}")
        page.keyboard.press("Space")
        _tab_to(page, lambda f: f["id"] == "id_people-0-part")
        page.keyboard.type("Child")
        check_accessibility(page)

        # On past the other rows and the evidence box to the button; Enter sends.
        _tab_to(page, lambda f: f["text"] == "Send the report")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("main")).to_contain_text("Thank you")
        check_accessibility(page)

        concern = Concern.objects.get(reporter__username="teacher", platform="WhatsApp")
        assert concern.category.key == "abusive_messages"
        assert concern.where == "Class group chat"
        assert concern.dsl_told_verbally and not concern.immediate_danger
        person = concern.involvements.get()
        assert (person.learner, person.part) == (learner, "child")
