"""The in-process cases: each page through `django.test.Client` (signed in with
`force_login`, the second factor verified where the role needs it), timed over several
rounds, with its wall and CPU time, its number of queries (CaptureQueriesContext) and its
ratio to the floor: the minimal signed-in view (bench/urls.py), measured in every round
between the cases, with the anonymous `/healthz` as a second reference."""

import itertools
import statistics
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import time as clock
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench.volume import SCALES, Part
from conduct.models import Breach
from devices.models import DeskEntry, DeviceSettings, Handover
from incidents.models import Concern, Involvement
from people.calendar import SchoolCalendar
from people.models import Learner, School
from reports import cache as reports_cache
from roper.two_factor import two_factor_required

HTMX = {"HTTP_HX_REQUEST": "true"}
#: How htmx sends a form (hx-post, no hx-encoding: the desk's forms), not the test client's
#: multipart default, whose parsing the desk never costs the server.
FORM = "application/x-www-form-urlencoded"
#: How many different searches the desk case cycles through.
SEARCHES = range(8)


@dataclass
class Result:
    key: str
    name: str
    timings: list[float] = field(default_factory=list)  # seconds, wall
    cpu: list[float] = field(default_factory=list)  # seconds of this process's CPU
    queries: int = 0
    status: int = 0
    note: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.timings) * 1000

    @property
    def cpu_median_ms(self) -> float:
        return statistics.median(self.cpu) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.timings)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000

    def as_dict(self, floor_ms: float | None = None, floor_cpu_ms: float | None = None) -> dict:
        row = {
            "key": self.key,
            "name": self.name,
            "runs": len(self.timings),
            "median_ms": round(self.median_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "cpu_ms": round(self.cpu_median_ms, 2),
            "queries": self.queries,
            "status": self.status,
        }
        if floor_ms:
            row["ratio"] = round(self.median_ms / floor_ms, 2)
        if floor_cpu_ms:
            row["cpu_ratio"] = round(self.cpu_median_ms / floor_cpu_ms, 2)
        if self.note:
            row["note"] = self.note
        return row


WARMUP = 2
#: A slow case stops after this much of its own time (at least 3 runs).
BUDGET_SECONDS = 30
#: The floor: the minimal signed-in view (bench/urls.py), the full middleware and no more.
BENCH_URLCONF = "bench.urls"


@dataclass
class Case:
    """One page: `call` makes one request (returns the response); `before`, when given, runs
    untimed before each call (e.g. emptying the report cache for a first view); `expect`,
    when given, must be in every response's body."""

    key: str
    name: str
    call: Callable
    before: Callable | None = None
    expect: str = ""
    runs: int | None = None
    result: Result | None = None
    spent: float = 0.0

    def once(self):
        if self.before:
            self.before()
        wall, cpu = time.perf_counter(), time.process_time()
        response = self.call()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if response.status_code >= 400:
            raise AssertionError(f"{self.name}: HTTP {response.status_code}")
        if self.expect and self.expect not in response.content.decode():
            raise AssertionError(f"{self.name}: {self.expect!r} not in the response")
        return response, wall, cpu


def measure_interleaved(cases: list[Case], *, runs: int, warmup: int) -> list[Result]:
    """Every case once per round, in the same order, `runs` rounds: what slows the machine
    for a moment slows every case of that round alike, the floor included. Then one more call
    of each with its queries counted."""
    for case in cases:
        case.result = Result(case.key, case.name)
        for _ in range(warmup):
            case.once()
    for n in range(runs):
        for case in cases:
            if n >= (case.runs or runs):
                continue
            if n >= 3 and case.spent > BUDGET_SECONDS:
                case.result.note = (
                    f"{len(case.result.timings)} runs: stopped after {BUDGET_SECONDS} s"
                )
                continue
            response, wall, cpu = case.once()
            case.spent += wall
            case.result.timings.append(wall)
            case.result.cpu.append(cpu)
            case.result.status = response.status_code
    for case in cases:
        # The least of two calls: the session is written back at most twice a minute
        # (roper/sessions.py), whichever request that falls on.
        counted = []
        for _ in range(2):
            if case.before:
                case.before()
            with counting() as queries:
                case.call()
            counted.append(len(queries))
        case.result.queries = min(counted)
    return [case.result for case in cases]


def counting() -> CaptureQueriesContext:
    """Django's count of a block's queries, from an empty log. The log keeps the last 9,000
    and is emptied when a request starts, but not while a count is taken: with every request
    counted (the sweep) it filled, its length no longer changed, and every page after counted
    none (seven roles' pages at 0, bench/README.md, eleventh pass)."""
    connection.queries_log.clear()
    return CaptureQueriesContext(connection)


def user(username):
    return get_user_model().objects.get(username=username)


def signed_in(username) -> Client:
    """A client signed in as `username`; with the second factor verified for a user whose
    roles need it (as they would sign in with TWO_FACTOR_ENFORCED on): the OTP middleware then
    reads the device on every request, as it does for them in production."""
    account = user(username)
    client = Client()
    client.force_login(account)
    if two_factor_required(account):
        device, _ = TOTPDevice.objects.get_or_create(
            user=account, name="bench", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def today_clear(school_ids=None) -> int:
    """Remove today's handovers (left by the check-in case or the rush) so that a run starts
    from the same state."""
    day = timezone.localdate()
    handovers = Handover.objects.filter(school_day=day)
    if school_ids is not None:
        handovers = handovers.filter(school_id__in=school_ids)
    ids = list(handovers.values_list("pk", flat=True))
    DeskEntry.objects.filter(handover_id__in=ids).delete()
    Handover.history.filter(id__in=ids).delete()
    return Handover.objects.filter(pk__in=ids).delete()[0]


#: The home time of the benchmark's schools while it runs: the desk as before home time...
MORNING_UNTIL = clock(23, 59, 59)
#: ... or from it.
AFTERNOON_FROM = clock(0, 0)


@contextmanager
def home_time_at(at):
    """The benchmark's schools' home time is `at` while it runs, then as it was. From home
    time the desk lists the held phones first and reads who may collect them, Enter hands a
    held phone back, and the page asks the server instead of searching its roster
    (static/js/devices.js). Queryset writes: no history row, no report's cache forgotten."""
    schools = list(School.objects.filter(name__startswith="Bench ").values_list("pk", flat=True))
    had = dict(
        DeviceSettings.objects.filter(school_id__in=schools).values_list("school_id", "home_time")
    )
    DeviceSettings.objects.filter(school_id__in=had).update(home_time=at)
    made = DeviceSettings.objects.bulk_create(
        DeviceSettings(school_id=pk, home_time=at) for pk in schools if pk not in had
    )
    try:
        yield
    finally:
        for school_id, home_time in had.items():
            DeviceSettings.objects.filter(school_id=school_id).update(home_time=home_time)
        DeviceSettings.objects.filter(pk__in=[m.pk for m in made])._raw_delete(
            DeviceSettings.objects.db
        )


def before_home_time():
    """The desk as at the morning rush, whatever the hour of the run (a run after 14:30
    measured the afternoon: on 2026-12-04 the morning rush fell to 0/s, every name searched
    by the server and no phone to hand back)."""
    return home_time_at(MORNING_UNTIL)


def from_home_time():
    """The desk as at home time, whatever the hour of the run."""
    return home_time_at(AFTERNOON_FROM)


def forget_reports(school_ids, *, late_edit=None):
    """The cached reports of these schools go (a first view), as after a change to their data
    (a concern triaged); with `late_edit` (a past day), as after a late edit of a handover of
    that day too (its month's daily counts, cached apart: reports/figures.py). The other
    cases' cached reports, sessions and the rest of the cache stay."""
    also = [reports_cache.handovers_of(pk, late_edit) for pk in school_ids] if late_edit else []
    return lambda: reports_cache.forget([*school_ids, *also])


def reference_cases(username) -> list[Case]:
    client = signed_in(username)
    anonymous = Client()
    return [
        Case(
            "floor_signed_in",
            "floor: minimal signed-in view",
            lambda: client.get(reverse("bench_signed_in")),
        ),
        Case("healthz", "reference: /healthz (anonymous)", lambda: anonymous.get("/healthz")),
    ]


def enter_query(learner) -> str:
    """What the desk's box holds when Enter is pressed: the learner's first and last name."""
    return f"{learner[1]} {learner[2]}"


def only_match(learner, everyone) -> bool:
    """Whether the desk's search (devices/desk.py: each word starts a first, preferred or last
    name) finds only `learner` for their first and last name."""
    words = enter_query(learner).lower().split()
    return not any(
        other[0] != learner[0]
        and all(any((name or "").lower().startswith(word) for name in other[1:]) for word in words)
        for other in everyone
    )


def school_cases(part: Part, tag: str = "") -> list[Case]:
    """Desk, dashboard, concern, chronology and governor report at a standalone school; with
    `tag`, each case's key ends with it, and its name says the years of history."""
    school = School.objects.get(name=part.school_name(1))
    prefix = f"{part.key}-01"
    cases = []

    office = signed_in(f"{prefix}-office")
    # The first letters of the school's commonest surnames: every search finds learners.
    names = Learner.objects.filter(school=school).values_list("legal_last_name", flat=True)
    common = Counter(name[:3].lower() for name in names).most_common(len(SEARCHES))
    searches = itertools.cycle([prefix for prefix, _ in common])
    cases.append(
        Case(
            "desk_search",
            f"desk search ({part.learners:,} learners)",
            lambda: office.get(reverse("devices:desk_search"), {"q": next(searches)}, **HTMX),
        )
    )
    today_clear([school.pk])
    # The desk page's form (templates/devices/desk.html): Enter posts the box to desk_enter,
    # which checks the top match in, with the learner the page's list showed (`expect`: the
    # list is drawn in the browser from the day's roster). One learner per call, by first and
    # last name.
    # Enter never acts when the name could mean two learners (it asks: devices/services.py),
    # so the Enter case types only names that match no other learner of the school.
    everyone = list(
        Learner.objects.filter(school=school, active=True)
        .order_by("pk")
        .values_list("pk", "legal_first_name", "legal_last_name", "preferred_name")
    )
    learners = (learner for learner in everyone if only_match(learner, everyone))
    # The next learner is chosen before the request, untimed: `only_match` reads the whole
    # school (~2 ms of CPU), which was counted in the check-in cases' time.
    chosen = {}

    def choose():
        chosen["learner"] = next(learners)

    cases.append(
        Case(
            "desk_enter",
            "desk check-in (Enter path)",
            lambda: office.post(
                reverse("devices:desk_enter"),
                urlencode({"q": enter_query(chosen["learner"]), "expect": chosen["learner"][0]}),
                content_type=FORM,
                **HTMX,
            ),
            before=choose,
            expect="phone in.",
        )
    )
    cases.append(
        Case(
            "desk_check_in",
            "desk check-in (click path)",
            lambda: office.post(
                reverse("devices:desk_check_in", args=[chosen["learner"][0]]),
                urlencode({"tag": ""}),
                content_type=FORM,
                **HTMX,
            ),
            before=choose,
            expect="phone in.",
        )
    )

    dsl = signed_in(f"{prefix}-dsl")
    concerns = Concern.objects.filter(school=school).count()
    cases.append(
        Case(
            "dashboard_school",
            f"triage dashboard (school, {concerns:,} concerns)",
            lambda: dsl.get(reverse("incidents:dashboard")),
        )
    )
    long = (
        Concern.objects.filter(school=school)
        .annotate(n=Count("entries"))
        .order_by("-n")
        .values_list("pk", "n")
        .first()
    )
    cases.append(
        Case(
            "concern",
            f"concern page ({long[1]} timeline entries)",
            lambda: dsl.get(reverse("incidents:detail", args=[long[0]])),
        )
    )
    # The child of the long-running case: the learner with the longest history.
    child = Involvement.objects.get(concern_id=long[0], part=Involvement.Part.CHILD).learner_id
    involved = Involvement.objects.filter(learner_id=child, concern__school=school).count()
    first = Handover.objects.filter(learner_id=child).order_by("school_day").first()
    years = (timezone.localdate() - first.school_day).days / 365 if first else 0
    cases.append(
        Case(
            "chronology",
            f"chronology ({involved} concerns, {years:.1f} years)",
            lambda: dsl.get(reverse("reports:chronology", args=[child])),
        )
    )
    governor = signed_in(f"{prefix}-governor")
    term = SchoolCalendar(school).last_completed_term()
    report = reverse("reports:governors")
    cases.append(
        Case(
            "governors",
            f"governor report ({term}, completed: cached)",
            lambda: governor.get(report, {"term": term.pk}),
        )
    )
    cases.append(
        Case(
            "governors_first",
            f"governor report ({term}, completed: first view)",
            lambda: governor.get(report, {"term": term.pk}),
            before=forget_reports([school.pk]),
        )
    )
    cases.append(
        Case(
            "governors_cold",
            f"governor report ({term}, completed: first view after a late edit of a handover)",
            lambda: governor.get(report, {"term": term.pk}),
            # A handover of a day in the middle of the term reported, corrected.
            before=forget_reports(
                [school.pk], late_edit=term.starts_on + (term.ends_on - term.starts_on) / 2
            ),
        )
    )
    if tag:
        for case in cases:
            case.key += tag
            case.name += f" [{part.years} years of history]"
    return cases


def history_tag(part: Part) -> str:
    """The key's ending of a case measured at a school with less history (`school_cases`)."""
    return f"@{part.years}y"


def trust_cases(part: Part, runs: int) -> list[Case]:
    """The trust's pages. Each first view comes before its cached view in a round: a first
    view forgets the schools' cached reports, the trust's among them, so a cached view after
    another case's first view would be measured cold."""
    concerns = Concern.objects.filter(school__trust__name=part.trust_name).count()
    dsl = signed_in(f"{part.key}-trust-dsl")
    governor = signed_in(f"{part.key}-trust-governor")
    schools = list(
        School.objects.filter(trust__name=part.trust_name)
        .order_by("name")
        .values_list("pk", flat=True)
    )
    breaches = Breach.objects.filter(school__trust__name=part.trust_name).count()
    head = signed_in(f"{part.key}-01-head")
    return [
        Case(
            "dashboard_trust",
            f"triage dashboard (trust DSL, {part.schools} schools, {concerns:,} concerns)",
            lambda: dsl.get(reverse("incidents:dashboard")),
        ),
        # One school's pack in full (the head: named exemptions), first view.
        Case(
            "evidence_school_first",
            "evidence pack, one school of the trust (head, full copy, first view)",
            lambda: head.get(reverse("reports:evidence")),
            before=forget_reports(schools[:1]),
            runs=max(3, runs // 3),
            expect="Hand-in compliance",
        ),
        Case(
            "trust_view_first",
            f"trust view ({part.schools} schools, first view)",
            lambda: governor.get(reverse("reports:trust")),
            before=forget_reports(schools),
            runs=max(3, runs // 3),
        ),
        Case(
            "trust_view",
            f"trust view ({part.schools} schools, cached)",
            lambda: governor.get(reverse("reports:trust")),
        ),
        # The phone-free school evidence pack (issue 18): the trust's schools side by side.
        Case(
            "evidence_trust_first",
            f"evidence pack, trust ({part.schools} schools, first view)",
            lambda: governor.get(reverse("reports:evidence_trust")),
            before=forget_reports(schools),
            runs=max(3, runs // 3),
            expect="Phone-free school evidence",
        ),
        Case(
            "evidence_trust",
            f"evidence pack, trust ({part.schools} schools, {breaches:,} breaches, cached)",
            lambda: governor.get(reverse("reports:evidence_trust")),
            expect="Phone-free school evidence",
        ),
    ]


def run_cases(scale_parts, runs: int = 20, warmup: int = 2, history=()) -> dict:
    """Every page case of the parts given, interleaved with the floor (the minimal signed-in
    view) and the anonymous /healthz; returns {"floor_ms": …, "floor": …, "cases": [...]}
    where each case's `ratio` is to the floor of the same run. The school cases of the
    `history` parts (a school with fewer years) are measured in the same rounds, each key
    ending with `history_tag`."""
    with override_settings(ROOT_URLCONF=BENCH_URLCONF):
        first = scale_parts[0]
        cases = reference_cases(f"{first.key}-01-office")
        for part in scale_parts:
            cases += trust_cases(part, runs) if part.in_trust else school_cases(part)
        for part in history:
            cases += school_cases(part, tag=history_tag(part))
        try:
            results = measure_interleaved(cases, runs=runs, warmup=warmup)
        finally:
            today_clear()
    floor_ms = results[0].median_ms
    floor_cpu_ms = results[0].cpu_median_ms
    rows = [r.as_dict(floor_ms, floor_cpu_ms) for r in results]
    return {
        "floor_ms": round(floor_ms, 3),
        "floor": rows[0],
        "cases": rows[1:],
    }


def parts(*scales: str) -> list[Part]:
    return [p for s in scales for p in SCALES[s]]
