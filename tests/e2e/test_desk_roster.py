"""The desk's list drawn in the browser from the day's roster (issue 17): at the morning rush
the office types and sees the same list the server would send, without a request per key;
Enter alone goes to the server. A learner added after the page was opened is found by the
server's search, and Enter checks them in. From home time the same, the phones still held
first: Enter hands the one the list showed back."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from devices import desk
from devices.models import Handover
from people.calendar import SchoolCalendar
from people.models import Learner
from tests.e2e.conftest import check_accessibility
from tests.factories import LearnerFactory

pytestmark = pytest.mark.usefixtures("demo")  # the demo, as seed_demo makes it

LONDON = ZoneInfo("Europe/London")
MORNING = datetime(2026, 11, 25, 9, 5, tzinfo=LONDON)  # a Wednesday in the autumn term
AFTERNOON = datetime(2026, 11, 25, 15, 20, tzinfo=LONDON)  # the demo school's home time is 14:30
#: What a row says, cell by cell: the name and details, the class, the phone today, and what
#: may be done (the button, and for a phone held the list of who may collect it).
ROWS = """el => [...el.querySelectorAll('.desk-results tbody tr')].map(
    tr => [...tr.children].map(c => c.innerText.replace(/\\s+/g, ' ').trim()))"""


def _server_rows(page, q):
    """The list the server sends for `q`, read in the same page."""
    html = page.evaluate(
        """q => fetch('/devices/desk/search/?' + new URLSearchParams({q}),
                      {headers: {'HX-Request': 'true', 'X-Test': 'server'}}).then(r => r.text())""",
        q,
    )
    return page.evaluate(
        f"""html => {{ const el = document.createElement('div'); el.innerHTML = html;
            document.body.append(el); const rows = ({ROWS})(el); el.remove(); return rows; }}""",
        html,
    )


def _roster_read(page):
    """Once the page has read the day's roster."""
    page.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        ".some(e => e.name.includes('/devices/desk/roster/'))"
    )


def _drawn_as_the_server_would(page, box, q, sent) -> list:
    """`q` typed: the rows the page drew, which are the server's for `q`, with nothing sent
    (`sent`: the requests to the server watched)."""
    box.fill(q)
    expect(page.locator(".desk-results caption")).to_contain_text(f"“{q}”")
    drawn = page.evaluate(ROWS.replace("el =>", "() =>").replace("el.", "document."))
    page.wait_for_timeout(300)  # past the search's pause: nothing was sent
    assert sent == [], q
    assert drawn == _server_rows(page, q), q
    return drawn


def test_the_list_drawn_in_the_browser_is_the_servers_and_sends_nothing_while_typed(
    page, live_server, sign_in
):
    with time_machine.travel(MORNING, tick=True):
        day = SchoolCalendar.today()
        held = Handover.objects.filter(school_day=day, out_at__isnull=True).exclude(tag="")
        held = held.select_related("learner").order_by("pk").first()
        sign_in("office")
        box = page.get_by_label("Learner name, class or pouch number")
        _roster_read(page)
        searches = []
        page.on(
            "request",
            lambda r: (
                "/devices/desk/search/" in r.url
                and "x-test" not in r.headers
                and searches.append(r.url)
            ),
        )
        typed = [
            held.learner.legal_last_name[:3],  # many learners, some phones already in
            held.learner.name,  # first and last name
            held.tag.lower(),  # a pouch number in use today
            "Elm",  # a class
            held.learner.first_name[:2],  # more than the list shows
        ]
        for q in typed:
            assert _drawn_as_the_server_would(page, box, q, searches), q
        check_accessibility(page)


def test_enter_asks_without_a_request_and_a_learner_added_since_is_found(
    page, live_server, sign_in
):
    """The question the server would send ("More than one learner matches"), asked by the
    page; Enter on a name that finds one learner sends the learner the list showed, which the
    server checks; a learner added after the page read the roster is found by the server's
    search, and Enter checks them in."""
    with time_machine.travel(MORNING, tick=True):
        day = SchoolCalendar.today()
        held = set(
            Handover.objects.filter(school_day=day, undone_at__isnull=True).values_list(
                "learner_id", flat=True
            )
        )
        waiting = Learner.objects.filter(class_name="Elm", active=True).exclude(pk__in=held)
        alone = next(lr for lr in waiting.order_by("pk") if _finds_alone(lr, day))
        sign_in("office")
        _roster_read(page)
        enters = []
        page.on("request", lambda r: "/devices/desk/enter/" in r.url and enters.append(r))
        box = page.get_by_label("Learner name, class or pouch number")
        box.fill("Elm")  # a whole class: many phones still to come in
        expect(page.locator(".desk-results caption")).to_contain_text("“Elm”")
        page.keyboard.press("Enter")
        expect(page.locator("#desk-message")).to_contain_text(
            "More than one learner matches “Elm”: choose one in the list"
        )
        page.wait_for_timeout(300)
        assert enters == []
        expect(box).to_have_value("Elm")
        check_accessibility(page)

        box.fill(alone.name)
        expect(page.locator(".desk-results tbody tr")).to_have_count(1)
        with page.expect_response(lambda r: "/devices/desk/enter/" in r.url):
            page.keyboard.press("Enter")
        expect(page.locator("#desk-message")).to_contain_text(f"{alone.name} (Elm): phone in.")
        assert f"expect={alone.pk}" in enters[-1].post_data
        # The list now says so, without reading the roster again.
        box.fill(alone.name)
        expect(page.locator(".desk-results tbody tr").first).to_contain_text("In since")

        # A learner added since the page read the roster: the server's search finds them.
        newcomer = LearnerFactory(
            school=alone.school, class_name="Elm", legal_first_name="Quillon", legal_last_name="Ng"
        )
        box.fill("")
        with page.expect_response(lambda r: "/devices/desk/search/" in r.url):
            page.keyboard.type("Quillon Ng")
        expect(page.locator(".desk-results th", has_text="Quillon Ng")).to_be_visible()
        with page.expect_response(lambda r: "/devices/desk/enter/" in r.url):
            page.keyboard.press("Enter")
        expect(page.locator("#desk-message")).to_contain_text("Quillon Ng (Elm): phone in.")
        expect(box).to_have_value("")
        assert Handover.objects.get(learner=newcomer).is_held


def test_from_home_time_the_list_is_drawn_in_the_browser_held_phones_first(
    page, live_server, sign_in
):
    """The afternoon is a rush too: the list the server would send, the phones still held
    first, drawn without a request per key; Enter on a name that finds one learner sends the
    learner the list showed, whose phone is handed back."""
    with time_machine.travel(AFTERNOON, tick=True):
        day = SchoolCalendar.today()
        held = Handover.objects.filter(school_day=day, out_at__isnull=True, undone_at=None)
        held = held.select_related("learner", "learner__school").order_by("pk")
        assert desk.home_time(held[0].learner.school) < AFTERNOON.time()
        learner = next(h.learner for h in held if _finds_alone(h.learner, day))
        tag = held.exclude(tag="").first().tag
        sign_in("office")
        _roster_read(page)
        sent = []
        page.on(
            "request",
            lambda r: (
                ("/devices/desk/search/" in r.url or "/devices/desk/enter/" in r.url)
                and "x-test" not in r.headers
                and sent.append(r)
            ),
        )
        box = page.get_by_label("Learner name, class or pouch number")
        for q in ["Oak", "Hazel", learner.legal_last_name[:3], tag.lower(), learner.name]:
            assert _drawn_as_the_server_would(page, box, q, sent), q
        # A whole class: the phones still held come first.
        box.fill("Oak")
        phones = page.locator(".desk-results tbody tr td:nth-child(3)").all_inner_texts()
        assert phones[0].startswith("In since"), phones
        assert phones == sorted(phones, key=lambda text: not text.startswith("In since"))

        box.fill(learner.name)
        expect(page.locator(".desk-results tbody tr")).to_have_count(1)
        with page.expect_response(lambda r: "/devices/desk/enter/" in r.url):
            page.keyboard.press("Enter")
        expect(page.locator("#desk-message")).to_contain_text(
            f"{learner.name}: phone collected by the learner."
        )
        assert [r.url.split("/devices/desk/")[1] for r in sent] == ["enter/"]
        assert f"expect={learner.pk}" in sent[-1].post_data
        assert Handover.objects.get(learner=learner, school_day=day).out_at is not None
        # The list now says so, without reading the roster again.
        box.fill(learner.name)
        expect(page.locator(".desk-results tbody tr").first).to_contain_text("Collected")
        check_accessibility(page)


def _finds_alone(learner, day):
    return len(desk.search(school=learner.school, q=learner.name, day=day)) == 1


def test_the_servers_answer_is_for_what_the_box_holds_now(page, live_server, sign_in):
    """When the page asks the server (here, its roster could not be read), a search is
    never sent for an empty box (the pause after the last key can end just after a desk
    action emptied it, and that search, in flight, made htmx drop the next learner's: the
    keystroke journey's rare failure), the answer to an earlier text is not shown (the text
    typed while it was awaited, its search dropped, one at a time, is searched then), and
    the same text typed again after a desk action is searched again."""
    with time_machine.travel(MORNING, tick=True):
        page.route("**/devices/desk/roster/", lambda route: route.fulfill(status=503))
        held, sent = [], []

        def search(route):
            sent.append(route.request.url.split("?")[-1])
            if not held:  # the first search waits until the test lets it answer
                held.append(route)
            else:
                route.continue_()

        page.route("**/devices/desk/search/**", search)
        other = Learner.objects.filter(active=True).order_by("pk").first().legal_last_name[:3]
        sign_in("office")
        box = page.get_by_label("Learner name, class or pouch number")
        results = page.locator(".desk-results caption")

        # The search for "Am" is held; "Amel" is typed meanwhile (its search dropped).
        box.fill("Am")
        page.wait_for_timeout(400)
        assert sent == ["q=Am"]
        box.fill("Amel")
        page.wait_for_timeout(400)
        held[0].continue_()
        expect(results).to_contain_text("“Amel”")  # not the late answer to "Am"
        assert sent == ["q=Am", "q=Amel"]

        # A desk action empties the box within the pause after the last key: no search.
        box.fill(other)
        page.evaluate("() => { document.getElementById('desk-q').value = ''; }")
        page.wait_for_timeout(400)
        assert sent == ["q=Am", "q=Amel"]
        # The same text again (namesakes, one after the other): searched, as any other.
        box.fill(other)
        expect(results).to_contain_text(f"“{other}”")
        assert sent == ["q=Am", "q=Amel", f"q={other}"]
