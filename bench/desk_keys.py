"""Keystrokes and seconds per learner at the office desk (issue 16), measured in Chromium.

Playwright drives the desk (/devices/desk/) as the demo's office account (`office`, no
second factor) for a sample of the demo's learners, through three tasks:

- **check-in** at 08:40: type the learner's name by the rule below, Enter;
- **check-out** at 15:20 (home time: the desk's setting, 14:30 in the demo): the same, Enter;
- **parent collecting** at 11:30, before home time, on another day: type the name, choose the
  parent (the first on file who may collect) in the learner's row, click "Check out".

**The typing rule** (a trained office user, who knows the school's names): type, in lower
case, the shortest of: the first letters (two or more) of the first name; the first name, a
space and the first letters of the surname; the full name, a space and the class — the first
that the desk's own matching (each word begins the first, preferred or last name, or is the
class) finds this learner alone by, among the school's learners. Two learners of one class
with the same name (the demo's two Finley Kings in Cedar) have no such text: the full name is
typed. Then wait for the matches of what was typed, and act.

When the desk asks which learner (Enter on an ambiguous match), the user clicks the
learner's own row: one click more, told apart by the date of birth the row shows. Where the
rows do not tell two namesakes apart (an older desk), the user takes the first and is
counted wrong when it is the other child. Every action is checked in the database: a phone
moved for another child is reported as "wrong child" (then put right, uncounted, so that the
next task starts as it should).

Counted: keys pressed (letters, spaces, Enter) plus clicks (choosing from a list is two: open
it, pick). Seconds: from the first key until the desk's confirmation is visible, typing one
key every `--key-delay-ms` (200 ms: a fast typist) and clicking at once (a person adds about
a second to point at a row).

The server must be `bench/clock_server.py` (Django's development server under a clock this
script moves), serving the work tree measured, with DATABASE_URL set the same for both:

    cd TREE && DEBUG=true DATABASE_URL=… .venv/bin/python /path/to/bench/clock_server.py \\
        --port 8301 &
    DATABASE_URL=… .venv/bin/python -m bench.desk_keys --base-url http://127.0.0.1:8301 \\
        --output out.json

This script reads the database through Roper's models but only the columns every version
has had (learners' names and classes, handovers, desk entries), so one copy measures the code
of today and of when the issue was filed. It picks two free school days after today.
"""

import argparse
import json
import math
import os
import statistics
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

LONDON = ZoneInfo("Europe/London")
SCHOOL = "Anthony Roper Primary School"
USERNAME, PASSWORD = "office", "roper-demo"  # seed_demo's office: no second factor
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MORNING, COLLECT, HOME = (8, 40), (11, 30), (15, 20)
TASKS = ("check-in", "check-out", "parent collecting")
ASKED = "More than one learner matches"


# --------------------------------------------------------------------------------------------
# The learners and the rule


def school_learners(school=SCHOOL) -> list[dict]:
    from people.models import Learner

    return list(
        Learner.objects.filter(school__name=school, active=True)
        .order_by("upn")
        .values("pk", "upn", "legal_first_name", "preferred_name", "legal_last_name", "class_name")
    )


def first_name(learner) -> str:
    return learner["preferred_name"] or learner["legal_first_name"]


def full_name(learner) -> str:
    return f"{first_name(learner)} {learner['legal_last_name']}"


def _matches(words, learner) -> bool:
    """The desk's matching (devices/desk.py `search`), without pouch numbers."""
    names = [
        learner["legal_first_name"],
        learner["preferred_name"] or "",
        learner["legal_last_name"],
    ]
    return all(
        any(name.lower().startswith(word) for name in names if name)
        or learner["class_name"].lower() == word
        for word in words
    )


def typed(learner, learners) -> str:
    """What the office types for `learner` (the rule in the module's docstring)."""
    first, last = first_name(learner).lower(), learner["legal_last_name"].lower()
    candidates = [first[:n] for n in range(2, len(first) + 1)]
    candidates += [f"{first} {last[:n]}" for n in range(1, len(last) + 1)]
    candidates.append(f"{first} {last} {learner['class_name'].lower()}")
    for q in sorted(candidates, key=len):  # stable: the first name before the surname
        if [other["pk"] for other in learners if _matches(q.split(), other)] == [learner["pk"]]:
            return q
    return f"{first} {last}"


def sample(learners, size: int) -> list[dict]:
    """`size` learners: the namesakes of one class (Finley King ×2 in Cedar), from 6 on one
    other pair of namesakes in different classes, the rest spread evenly (by UPN) over the
    learners whose name is their own. In UPN order."""
    names = Counter(full_name(lr) for lr in learners)
    same_class = Counter((full_name(lr), lr["class_name"]) for lr in learners)
    chosen = [lr for lr in learners if same_class[(full_name(lr), lr["class_name"])] > 1]
    if size >= 6:
        pairs = sorted(
            {full_name(lr) for lr in learners if names[full_name(lr)] > 1}
            - {full_name(lr) for lr in chosen}
        )
        chosen += [lr for lr in learners if pairs and full_name(lr) == pairs[0]]
    chosen = chosen[:size]
    own = [lr for lr in learners if names[full_name(lr)] == 1]
    wanted = size - len(chosen)
    if wanted > 0:
        step = len(own) / wanted
        chosen += [own[int(i * step)] for i in range(wanted)]
    return sorted(chosen, key=lambda lr: lr["upn"])


def collector(learner) -> tuple[int, str]:
    """The parent who collects: the first on file who may (by name, as the desk lists them)."""
    from people.models import Guardianship

    return (
        Guardianship.objects.filter(learner_id=learner["pk"], may_collect=True)
        .order_by("guardian__name")
        .values_list("guardian_id", "guardian__name")
        .first()
    )


def free_days(learners, count: int, after: date) -> list[date]:
    """The first `count` working days after `after` on which none of `learners` has a
    handover yet (a second run of the script takes the next days)."""
    from devices.models import Handover
    from people.calendar import is_working_day

    days, day = [], after
    while len(days) < count:
        day += timedelta(days=1)
        used = Handover.objects.filter(
            learner_id__in=[lr["pk"] for lr in learners], school_day=day
        ).exists()
        if is_working_day(day) and not used:
            days.append(day)
    return days


def _state(pk: int, day: date) -> dict | None:
    from devices.models import Handover

    return (
        Handover.objects.filter(learner_id=pk, school_day=day, undone_at__isnull=True)
        .values("pk", "out_at", "collected_by_id")
        .first()
    )


def _last_learner_acted_on(day: date) -> int | None:
    from devices.models import DeskEntry

    return (
        DeskEntry.objects.filter(handover__school_day=day)
        .order_by("-at", "-pk")
        .values_list("handover__learner_id", flat=True)
        .first()
    )


def done(task: str, pk: int, day: date, guardian: int | None = None) -> bool:
    state = _state(pk, day)
    if task == "check-in":
        return state is not None and state["out_at"] is None
    if state is None or state["out_at"] is None:
        return False
    return state["collected_by_id"] == (guardian if task == "parent collecting" else None)


# --------------------------------------------------------------------------------------------
# The desk, in the browser


@dataclass
class Result:
    task: str
    learner: str
    upn: str
    typed: str
    keys: int  # keys pressed and clicks
    clicks: int
    seconds: float
    outcome: str  # ok | asked (then chosen) | wrong child | not done
    message: str


class Desk:
    def __init__(self, page, base_url: str, *, set_clock, key_delay_ms: float = 200):
        self.page, self.base_url = page, base_url.rstrip("/")
        self.set_clock, self.key_delay_ms = set_clock, key_delay_ms
        self.day: date | None = None

    # -- moving about --------------------------------------------------------------------------

    def at(self, day: date, hour_minute: tuple[int, int]):
        """Move the server's clock, and open the desk (signing in again after the idle time)."""
        self.day = day
        self.set_clock(datetime(day.year, day.month, day.day, *hour_minute, tzinfo=LONDON))
        page = self.page
        page.goto(f"{self.base_url}/devices/desk/")
        if "/accounts/login/" in page.url:
            page.fill("input[name=username]", USERNAME)
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.locator("form:has(input[name=username]) button[type=submit]").click()
            page.goto(f"{self.base_url}/devices/desk/")
        page.wait_for_load_state("load")
        page.locator("#desk-q").focus()

    def _mark(self):
        """Mark the message shown, to wait for the next one (a desk action replaces it)."""
        self.page.evaluate(
            "() => { const m = document.querySelector('#desk-message .alert');"
            " if (m) m.dataset.old = '1'; }"
        )

    def _message(self) -> tuple[str, str]:
        alert = self.page.locator("#desk-message .alert:not([data-old])")
        alert.wait_for(state="visible", timeout=15_000)
        classes = alert.get_attribute("class") or ""
        level = next((x for x in ("warning", "info", "success") if f"alert-{x}" in classes), "")
        return level, alert.inner_text().strip()

    def _type(self, q: str):
        self.page.keyboard.type(q, delay=self.key_delay_ms)
        try:
            self._wait_matches(q, timeout=2_000)
        except PlaywrightTimeout:
            # The desk before 2026-12-06 (htmx's "changed", which this harness also measures
            # on older trees) sent no search for the same text as the last one (namesakes, one
            # after the other): ask again.
            self.page.locator("#desk-q").dispatch_event("search")
            self._wait_matches(q)

    def _fill(self, q: str):
        """Uncounted: put `q` in the box and wait for its matches."""
        box = self.page.locator("#desk-q")
        box.fill(q)
        box.dispatch_event("search")
        self._wait_matches(q)

    def _wait_matches(self, q: str, timeout: float = 15_000):
        # The matches shown are those of what was typed ("Learners matching “q”", or none).
        self.page.wait_for_function(
            "q => (document.getElementById('desk-results') || {textContent: ''})"
            ".textContent.includes('\\u201c' + q + '\\u201d')",
            arg=q,
            timeout=timeout,
        )

    def _row_form(self, pk: int, kind: str):
        return self.page.locator(f'#desk-results form[action$="/desk/{pk}/{kind}/"]')

    def _tells_apart(self) -> bool:
        """Do the rows show what tells namesakes apart (the date of birth)?"""
        return "born" in self.page.locator("#desk-results tbody").inner_text()

    # -- the tasks -----------------------------------------------------------------------------

    def enter(self, task: str, learner, q: str) -> Result:
        """Check-in (morning) or check-out (home time) by the keyboard: type, Enter."""
        kind = "in" if task == "check-in" else "out"
        page, pk = self.page, learner["pk"]
        self._mark()
        start = time.perf_counter()
        self._type(q)
        page.keyboard.press("Enter")
        keys, clicks, outcome = len(q) + 1, 0, "ok"
        level, message = self._message()
        if level == "warning" and ASKED in message:
            outcome = "asked"
            self._mark()
            self._choose(pk, kind).locator("button[type=submit]").click()
            clicks += 1
            level, message = self._message()
        seconds = time.perf_counter() - start
        return self._checked(task, learner, q, keys + clicks, clicks, seconds, outcome, message)

    def _choose(self, pk: int, kind: str):
        """The row the office chooses: the learner's, when the rows tell them apart; else the
        first of the rows with the learner's name (namesakes look the same)."""
        own = self._row_form(pk, kind)
        if self._tells_apart():
            return own
        return self.page.locator(f'#desk-results form[action$="/{kind}/"]').first

    def collect(self, learner, q: str) -> Result:
        """A parent collecting before home time: type, choose the parent in the learner's
        row, click "Check out"."""
        pk = learner["pk"]
        guardian, _ = collector(learner)
        self._mark()
        start = time.perf_counter()
        self._type(q)
        keys, clicks, note = len(q), 0, ""
        form = self._choose(pk, "out")
        if form.locator(f'option[value="{guardian}"]').count() == 0:
            # The first of two look-alike rows, and the parent is not in its list: the office
            # opens that list, sees it is the other child, and turns to the other row.
            clicks += 1
            note = "tried the other namesake's row first; "
            form = self._row_form(pk, "out")
        form.locator("select").select_option(str(guardian))
        form.locator("button[type=submit]").click()
        clicks += 3  # open the list, pick the parent, Check out
        level, message = self._message()
        seconds = time.perf_counter() - start
        return self._checked(
            "parent collecting",
            learner,
            q,
            keys + clicks,
            clicks,
            seconds,
            "ok",
            note + message,
            guardian=guardian,
        )

    def _checked(self, task, learner, q, keys, clicks, seconds, outcome, message, guardian=None):
        result = Result(
            task,
            full_name(learner),
            learner["upn"],
            q,
            keys,
            clicks,
            round(seconds, 3),
            outcome,
            message,
        )
        if not done(task, learner["pk"], self.day, guardian):
            other = _last_learner_acted_on(self.day)
            result.outcome = "wrong child" if other not in (None, learner["pk"]) else "not done"
            self.put_right(task, learner, wrong=result.outcome == "wrong child", guardian=guardian)
        return result

    def put_right(self, task, learner, *, wrong: bool, guardian=None):
        """Uncounted: undo a phone moved for the wrong child and do what was meant, by the
        learner's own row, so that the next task starts as it should."""
        page = self.page
        if wrong:
            self._mark()
            page.locator('#desk-state form[action*="/desk/undo/"] button').first.click()
            self._message()
        self._fill(f"{full_name(learner)} {learner['class_name']}".lower())
        form = self._row_form(learner["pk"], "in" if task == "check-in" else "out")
        if guardian:
            form.locator("select").select_option(str(guardian))
        self._mark()
        form.locator("button[type=submit]").click()
        self._message()
        assert done(task, learner["pk"], self.day, guardian), f"could not put {learner} right"

    def check_in_uncounted(self, learner):
        self._fill(f"{full_name(learner)} {learner['class_name']}".lower())
        self._mark()
        self._row_form(learner["pk"], "in").locator("button[type=submit]").click()
        self._message()


def measure(desk: Desk, chosen, learners, days) -> list[Result]:
    """The three tasks for `chosen` over two days: day one check-in and check-out at home
    time; day two (checked in, uncounted) a parent collecting each before home time."""
    texts = {lr["pk"]: typed(lr, learners) for lr in chosen}
    results = []
    desk.at(days[0], MORNING)
    results += [desk.enter("check-in", lr, texts[lr["pk"]]) for lr in chosen]
    desk.at(days[0], HOME)
    results += [desk.enter("check-out", lr, texts[lr["pk"]]) for lr in chosen]
    desk.at(days[1], MORNING)
    for lr in chosen:
        desk.check_in_uncounted(lr)
    desk.at(days[1], COLLECT)
    results += [desk.collect(lr, texts[lr["pk"]]) for lr in chosen]
    return results


def _p90(values):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def summary(results: list[Result]) -> dict:
    table = {}
    for task in TASKS:
        rows = [r for r in results if r.task == task]
        if not rows:
            continue
        keys, seconds = [r.keys for r in rows], [r.seconds for r in rows]
        table[task] = {
            "learners": len(rows),
            "keys_median": statistics.median(keys),
            "keys_p90": _p90(keys),
            "seconds_median": round(statistics.median(seconds), 2),
            "seconds_p90": round(_p90(seconds), 2),
            **{o: sum(r.outcome == o for r in rows) for o in ("asked", "wrong child", "not done")},
        }
    return table


# --------------------------------------------------------------------------------------------
# The command


def _clock(base_url: str):
    if not base_url.startswith("http://127.0.0.1:"):
        raise SystemExit("--base-url: a clock server on this machine, http://127.0.0.1:PORT")

    def set_clock(moment: datetime):
        url = f"{base_url.rstrip('/')}/__clock__"
        request = urllib.request.Request(url, data=moment.isoformat().encode(), method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()

    return set_clock


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="bench/clock_server.py serving Roper")
    parser.add_argument("--output", required=True)
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--key-delay-ms", type=float, default=200)
    parser.add_argument("--label", default="", help="what is measured, e.g. a commit")
    parser.add_argument(
        "--reverse", action="store_true", help="the sample in reverse order (namesakes swap)"
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roper.settings")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the ORM beside Playwright
    import django

    django.setup()

    learners = school_learners()
    chosen = sample(learners, args.learners)[:: -1 if args.reverse else 1]
    days = free_days(chosen, 2, after=date.today())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
        desk = Desk(
            context.new_page(),
            args.base_url,
            set_clock=_clock(args.base_url),
            key_delay_ms=args.key_delay_ms,
        )
        results = measure(desk, chosen, learners, days)
        browser.close()
    report = {
        "label": args.label,
        "base_url": args.base_url,
        "days": [d.isoformat() for d in days],
        "key_delay_ms": args.key_delay_ms,
        "order": "reversed" if args.reverse else "by UPN",
        "summary": summary(results),
        "results": [asdict(r) for r in results],
    }
    with open(args.output, "w") as out:
        json.dump(report, out, indent=2, ensure_ascii=False)
    for task, row in report["summary"].items():
        print(task, row)
    for r in results:
        if r.outcome != "ok":
            print(f"{r.task}: {r.learner} ({r.typed!r}): {r.outcome} — {r.message}")


if __name__ == "__main__":
    main()
