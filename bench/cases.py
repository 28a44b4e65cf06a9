"""The in-process cases: each page through `django.test.Client` (signed in with
`force_login`), timed over several runs, with its number of queries (CaptureQueriesContext)
and its ratio to the floor (`/healthz`, one query, measured in the same run)."""

import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.volume import SCALES, Part
from devices.models import DeskEntry, Handover
from incidents.models import Concern, Involvement
from people.calendar import SchoolCalendar
from people.models import Learner, School

HTMX = {"HTTP_HX_REQUEST": "true"}
#: How many different searches the desk case cycles through.
SEARCHES = range(8)


@dataclass
class Result:
    key: str
    name: str
    timings: list[float] = field(default_factory=list)  # seconds
    queries: int = 0
    status: int = 0
    note: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.timings) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.timings)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000

    def as_dict(self, floor_ms: float | None = None) -> dict:
        row = {
            "key": self.key,
            "name": self.name,
            "runs": len(self.timings),
            "median_ms": round(self.median_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "queries": self.queries,
            "status": self.status,
        }
        if floor_ms:
            row["ratio"] = round(self.median_ms / floor_ms, 2)
        if self.note:
            row["note"] = self.note
        return row


WARMUP = 2
#: A slow case stops after this long (at least 3 runs), so that a run ends in reasonable time.
BUDGET_SECONDS = 30


def measure(key, name, call, *, runs: int, warmup: int | None = None, note: str = "") -> Result:
    """Time `call` (returning a response) `runs` times after `warmup` calls; count the
    queries of one more call."""
    result = Result(key, name, note=note)
    for _ in range(WARMUP if warmup is None else warmup):
        call()
    budget = time.perf_counter() + BUDGET_SECONDS
    for n in range(runs):
        if n >= 3 and time.perf_counter() > budget:
            result.note = f"{n} runs: stopped after {BUDGET_SECONDS} s"
            break
        started = time.perf_counter()
        response = call()
        result.timings.append(time.perf_counter() - started)
        result.status = response.status_code
    with CaptureQueriesContext(connection) as queries:
        response = call()
    result.queries = len(queries)
    if response.status_code != result.status or response.status_code >= 400:
        raise AssertionError(f"{name}: HTTP {response.status_code}")
    return result


def user(username):
    return get_user_model().objects.get(username=username)


def signed_in(username) -> Client:
    client = Client()
    client.force_login(user(username))
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


def floor(runs: int) -> Result:
    client = Client()
    return measure("floor", "floor: /healthz", lambda: client.get("/healthz"), runs=runs)


def signed_in_floor(username, runs: int) -> Result:
    """For reference: /healthz with a session (session, user and memberships read, as on
    every signed-in page)."""
    client = signed_in(username)
    return measure(
        "floor_signed_in",
        "reference: /healthz signed in",
        lambda: client.get("/healthz"),
        runs=runs,
    )


def school_cases(part: Part, runs: int) -> list[Result]:
    """Desk, dashboard, concern, chronology and governor report at a standalone school."""
    school = School.objects.get(name=part.school_name(1))
    prefix = f"{part.key}-01"
    results = []

    office = signed_in(f"{prefix}-office")
    # The first letters of the school's commonest surnames: every search finds learners.
    names = Learner.objects.filter(school=school).values_list("legal_last_name", flat=True)
    common = Counter(name[:3].lower() for name in names).most_common(len(SEARCHES))
    searches = iter([prefix for prefix, _ in common] * (runs + 10))
    results.append(
        measure(
            "desk_search",
            f"desk search ({part.learners:,} learners)",
            lambda: office.get(reverse("devices:desk_search"), {"q": next(searches)}, **HTMX),
            runs=runs,
        )
    )
    today_clear([school.pk])
    learners = iter(
        Learner.objects.filter(school=school).order_by("pk").values_list("pk", flat=True)
    )
    results.append(
        measure(
            "desk_check_in",
            "desk check-in POST",
            lambda: office.post(
                reverse("devices:desk_check_in", args=[next(learners)]), {"tag": ""}, **HTMX
            ),
            runs=runs,
        )
    )
    today_clear([school.pk])

    dsl = signed_in(f"{prefix}-dsl")
    concerns = Concern.objects.filter(school=school).count()
    results.append(
        measure(
            "dashboard_school",
            f"triage dashboard (school, {concerns:,} concerns)",
            lambda: dsl.get(reverse("incidents:dashboard")),
            runs=runs,
        )
    )
    long = (
        Concern.objects.filter(school=school)
        .annotate(n=Count("entries"))
        .order_by("-n")
        .values_list("pk", "n")
        .first()
    )
    results.append(
        measure(
            "concern",
            f"concern page ({long[1]} timeline entries)",
            lambda: dsl.get(reverse("incidents:detail", args=[long[0]])),
            runs=runs,
        )
    )
    # The child of the long-running case: the learner with the longest history.
    child = Involvement.objects.get(concern_id=long[0], part=Involvement.Part.CHILD).learner_id
    learner = (
        child,
        Involvement.objects.filter(learner_id=child, concern__school=school).count(),
    )
    first = Handover.objects.filter(learner_id=learner[0]).order_by("school_day").first()
    years = (timezone.localdate() - first.school_day).days / 365 if first else 0
    results.append(
        measure(
            "chronology",
            f"chronology ({learner[1]} concerns, {years:.1f} years)",
            lambda: dsl.get(reverse("reports:chronology", args=[learner[0]])),
            runs=runs,
        )
    )
    governor = signed_in(f"{prefix}-governor")
    term = SchoolCalendar(school).last_completed_term()
    results.append(
        measure(
            "governors",
            f"governor report ({term})",
            lambda: governor.get(reverse("reports:governors"), {"term": term.pk}),
            runs=runs,
        )
    )
    return results


def trust_cases(part: Part, runs: int) -> list[Result]:
    concerns = Concern.objects.filter(school__trust__name=part.trust_name).count()
    dsl = signed_in(f"{part.key}-trust-dsl")
    results = [
        measure(
            "dashboard_trust",
            f"triage dashboard (trust DSL, {part.schools} schools, {concerns:,} concerns)",
            lambda: dsl.get(reverse("incidents:dashboard")),
            runs=runs,
        )
    ]
    governor = signed_in(f"{part.key}-trust-governor")
    results.append(
        measure(
            "trust_view",
            f"trust view ({part.schools} schools)",
            lambda: governor.get(reverse("reports:trust")),
            runs=max(3, runs // 3),
        )
    )
    return results


def run_cases(scale_parts, runs: int = 20, warmup: int = 2) -> dict:
    """Every page case of the parts given, with the floor measured before and after; returns
    {"floor_ms": …, "cases": [...]}."""
    global WARMUP
    WARMUP = warmup
    start = floor(runs * 2)
    first = scale_parts[0]
    results = [
        signed_in_floor(
            f"{first.key}-trust-dsl" if first.in_trust else f"{first.key}-01-office", runs
        )
    ]
    for part in scale_parts:
        if part.in_trust:
            results += trust_cases(part, runs)
        else:
            results += school_cases(part, runs)
    end = floor(runs * 2)
    floor_ms = statistics.median(start.timings + end.timings) * 1000
    start.timings += end.timings
    reference_ms = results[0].median_ms
    rows = [r.as_dict(floor_ms) for r in results]
    for row in rows[1:]:
        row["ratio_signed_in"] = round(row["median_ms"] / reference_ms, 2)
    return {
        "floor_ms": round(floor_ms, 3),
        "floor": start.as_dict(),
        "cases": rows,
    }


def parts(*scales: str) -> list[Part]:
    return [p for s in scales for p in SCALES[s]]
