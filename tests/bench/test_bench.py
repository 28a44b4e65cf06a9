"""The benchmark harness at the tiny scale: it keeps working, and no page's number of queries
grows with the data (tiny → tiny+). No timing is asserted here."""

import pytest
from django.db import transaction

from bench import cases, reminders
from bench.run import GROWS_BY_DESIGN, history_growth, issue_table, markdown, verdicts
from bench.volume import SCALES, seed
from devices.models import Handover
from incidents.models import Concern, Involvement
from people.calendar import SchoolCalendar
from people.models import Learner, Membership, School

pytestmark = pytest.mark.bench  # not in `make test`: `make test-bench`, a step of its own in CI


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (School, Learner, Handover, Concern, Involvement, Membership)
    }


def quiet(*args, **kwargs):
    pass


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """tiny and tiny+ seeded once for the module, in a transaction rolled back at its end
    (each test runs in a savepoint inside it)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            seed("tiny", log=quiet)
            seed("tiny+", log=quiet)
            seed("tiny-2y", log=quiet)
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_the_tiny_scale_has_the_shape_of_a_school(seeded, db):
    school = School.objects.get(name=SCALES["tiny"][0].school_name(1))
    learners = Learner.objects.filter(school=school).count()
    days = Handover.objects.filter(school=school).values("school_day").distinct().count()
    assert learners == SCALES["tiny"][0].learners
    # Most learners hand a phone in on most days, over about three school years.
    assert days > 400
    assert Handover.objects.filter(school=school).count() > 0.7 * learners * days
    open_statuses = set(
        Concern.objects.filter(school=school)
        .exclude(status="closed")
        .values_list("status", flat=True)
    )
    assert open_statuses == {"new", "in_progress", "awaiting_referral"}
    trust = SCALES["tiny"][1]
    trust_roles = [m.roles for m in Membership.objects.filter(trust__name=trust.trust_name)]
    assert ["dsl"] in trust_roles and ["governor"] in trust_roles


def test_seeding_twice_changes_nothing(seeded, db):
    before = _counts()
    assert seed("tiny", log=quiet) == {}
    assert _counts() == before


@pytest.fixture(scope="module")
def grown(seeded, django_db_blocker):
    """The page cases at tiny and tiny+, once for the module."""
    with django_db_blocker.unblock():
        small = cases.run_cases(
            cases.parts("tiny"), runs=1, warmup=1, history=cases.parts("tiny-2y")
        )
        bigger = cases.run_cases(cases.parts("tiny+"), runs=1, warmup=1)
    small["history"] = history_growth(small["cases"])
    small["cases"] = [c for c in small["cases"] if "@" not in c["key"]]
    grew = {
        a["key"]: (a["queries"], b["queries"])
        for a, b in zip(small["cases"], bigger["cases"], strict=True)
        if b["queries"] > a["queries"]
    }
    return small, bigger, grew


def test_the_harness_runs_and_query_counts_do_not_grow_with_the_data(grown, db):
    small, bigger, grew = grown
    # The floor is the minimal signed-in view: session, user and memberships, nothing more.
    assert small["floor"]["key"] == "floor_signed_in"
    pages = [c for c in small["cases"] if c["key"] != "healthz"]
    assert all(small["floor"]["queries"] < c["queries"] for c in pages)
    keys = [c["key"] for c in small["cases"]]
    assert keys == [
        "healthz",
        "desk_search",
        "desk_enter",
        "desk_check_in",
        "dashboard_school",
        "concern",
        "chronology",
        "governors",
        "governors_first",
        "governors_cold",
        "dashboard_trust",
        # Each first view before its cached view (bench/cases.py, trust_cases).
        "evidence_school_first",
        "trust_view_first",
        "trust_view",
        "evidence_trust_first",
        "evidence_trust",
    ]
    assert all(c["cpu_ms"] > 0 and c["ratio"] > 0 for c in small["cases"])
    assert all(c["status"] == 200 for c in small["cases"] + bigger["cases"])
    assert grew == {}
    # The check-in case leaves no handover of today behind.
    assert not Handover.objects.filter(school_day=SchoolCalendar.today()).exists()
    assert verdicts(small)  # every case has its targets


def test_no_page_a_role_reaches_reads_a_row_at_a_time(seeded, db):
    """bench/sweep.py: every page without a parameter in its address, and every page their
    links lead to (a concern, a learner, a policy...), opened by each role account of the tiny
    school and of the tiny+ one (twice the learners and concerns): the same number of
    queries. (The concerns export logged each concern in a query of its own.)"""
    from bench.sweep import SWEEP_DEPTH, grown, sweep

    with cases.before_home_time():
        small = sweep(SCALES["tiny"][0], depth=SWEEP_DEPTH)
        large = sweep(SCALES["tiny+"][0], depth=SWEEP_DEPTH)
    assert len(small.keys() & large.keys()) > 600
    # Every page is counted (a signed-in request reads at least its user).
    assert min(row["queries"] for row in [*small.values(), *large.values()]) >= 1
    assert {"head incidents:concerns_csv", "dsl incidents:detail", "office people:learner"} <= (
        small.keys() & large.keys()
    )
    assert grown(small, large) == {}


def test_no_page_a_trust_reaches_reads_a_school_at_a_time(seeded, db):
    """The same for a trust's school and the trust's own accounts (its DSL and governor, who
    see every school of it), at 2 schools and at 3: a page reading a school at a time grows."""
    from bench.sweep import SWEEP_DEPTH, TRUST_ACCOUNTS, grown, sweep

    with cases.before_home_time():
        small = sweep(SCALES["tiny"][1], depth=SWEEP_DEPTH)
        large = sweep(SCALES["tiny+"][1], depth=SWEEP_DEPTH)
    assert min(row["queries"] for row in [*small.values(), *large.values()]) >= 1
    compared = small.keys() & large.keys()
    assert {f"{role} incidents:dashboard" for role in TRUST_ACCOUNTS} <= compared
    assert {"head reports:subject_access", "trust-dsl incidents:detail"} <= compared
    assert grown(small, large) == {}


#: Matrix persona -> the bench account that plays it (bench/volume.py CORE; a teacher).
ACCOUNTS = {
    "office": "office",
    "teacher": "t000",
    "leadership": "leadership",
    "osl": "osl",
    "dsl": "dsl",
    "deputy_dsl": "deputy",
    "head": "head",
    "chair": "chair",
    "governor": "governor",
    "admin": "admin",
}


def _bench_world(part):
    """The access matrix's world (tests/conftest.py) on a bench school: its role accounts, its
    first learner (years of history), and another school of its trust with an outsider."""
    from django.contrib.auth import get_user_model

    from policies.models import Policy
    from tests.conftest import World
    from tests.factories import LearnerFactory, MembershipFactory, SchoolFactory

    school = School.objects.get(name=part.school_name(1))
    # The matrix's builders make policies of fixed slugs (the seed's): the school's step aside.
    for policy in Policy.objects.filter(school=school):
        Policy.objects.filter(pk=policy.pk).update(slug=f"bench-{policy.pk}")
    prefix = f"{part.key}-01"
    users = {
        persona: get_user_model().objects.get(username=f"{prefix}-{account}")
        for persona, account in ACCOUNTS.items()
    }
    other = SchoolFactory(trust=school.trust)
    users["outsider"] = MembershipFactory(school=other, roles=["headteacher", "dsl"]).user
    return World(
        school=school,
        other_school=other,
        learner=Learner.objects.filter(school=school, active=True).order_by("pk").first(),
        other_learner=LearnerFactory(school=other),
        users=users,
    )


class _Undo(Exception):
    pass


def _matrix_queries(part) -> dict[str, int]:
    """Each page of the access matrix (GET, answered 200) opened by the first persona allowed
    it, at a bench school: its queries (the second of two requests), every case rolled back."""
    from django.test import Client

    from tests.test_access_matrix import CASES

    world = _bench_world(part)
    clients = {}
    counted = {}
    for key in sorted(CASES):
        case = CASES[key]
        allowed = [p for p, status in case.expect.items() if status == 200]
        if case.method != "get" or not allowed or key == "admin:index":
            continue
        persona = allowed[0]
        if persona not in clients:
            clients[persona] = Client()
            clients[persona].force_login(world.users[persona])
        try:
            with transaction.atomic():
                url = case.build(world, world.users[persona])
                clients[persona].get(url, case.data)
                with cases.counting() as queries:
                    response = clients[persona].get(url, case.data)
                counted[key] = (len(queries), response.status_code)
                raise _Undo
        except _Undo:
            pass
    return counted


def test_no_page_of_the_access_matrix_reads_a_row_at_a_time(seeded, db):
    """Every page of the access matrix (detail pages included), at the tiny school and at
    tiny+ (twice its learners and concerns), and at tiny-2y against tiny (two years of
    history against three, the same learner's page): the same number of queries."""
    with cases.before_home_time():
        small = _matrix_queries(SCALES["tiny"][0])
        large = _matrix_queries(SCALES["tiny+"][0])
        fewer_years = _matrix_queries(SCALES["tiny-2y"][0])
    assert len(small) > 80
    assert {k: s for k, (_, s) in small.items() if s != 200} == {}
    assert min(n for counted in (small, large, fewer_years) for n, _ in counted.values()) >= 1
    grew = {k: f"{small[k][0]} → {large[k][0]}" for k in small if large[k][0] > small[k][0]}
    assert grew == {}
    older = {
        k: f"{fewer_years[k][0]} → {small[k][0]}" for k in small if small[k][0] > fewer_years[k][0]
    }
    assert older == {}


def test_each_school_page_is_measured_at_two_years_of_history_beside_three(grown, db):
    """bench/run.py `history_growth`: every school page of the run is measured again at a
    school with two years of history, in the same rounds; the chronology is set apart, and
    the pages have the same number of queries at both."""
    small, _, _ = grown
    history = small["history"]
    school_pages = [c["key"] for c in small["cases"]][1:10]  # desk search … governors_cold
    assert [row["key"] for row in history["rows"]] == school_pages
    assert {row["fewer_years"] for row in history["rows"]} == {"2y"}
    apart = [row["key"] for row in history["rows"] if row["apart"]]
    assert apart == list(GROWS_BY_DESIGN) == ["chronology"]
    for row in history["rows"]:
        two, three = row["queries"].split(" / ")
        assert two == three, row
        assert row["fewer_ms"] > 0 and row["three_years_ms"] > 0
    assert "queries equal: yes" in history["figure"]
    table = issue_table(small, None)
    report = markdown(
        {
            **small,
            "date": "d",
            "commit": "c" * 12,
            "database": "db",
            "issue_table": table,
            "verdicts": verdicts(small),
        }
    )
    assert "| desk_search | " in report and "no page's time grows with years" in report
    # The issue's table as it was filed, beside today's and this run's figures.
    assert "| check-in (Enter path) | ~9× (37 ms) | — | " in report


def test_a_page_that_grows_with_the_years_fails_the_history_check():
    def case(key, ms, queries=5):
        return {"key": key, "median_ms": ms, "queries": queries}

    flat = history_growth([case("dashboard_school", 10.5), case("dashboard_school@2y", 10.0)])
    assert flat["met"] and flat["rows"][0]["growth"] == 1.05
    grows = history_growth([case("dashboard_school", 15.0), case("dashboard_school@2y", 10.0)])
    assert not grows["met"] and "1.5×" in grows["figure"]
    more_queries = history_growth(
        [case("dashboard_school", 10.0, 6), case("dashboard_school@2y", 10.0, 5)]
    )
    assert not more_queries["met"] and "queries equal: NO" in more_queries["figure"]
    chronology = history_growth([case("chronology", 30.0), case("chronology@2y", 20.0)])
    assert chronology["met"] and chronology["rows"][0]["apart"]


def test_run_reminders_is_measured_and_rolled_back(seeded, db):
    before = _counts()
    out = reminders.measure()
    assert out["seconds"] >= 0 and out["peak_rss_mb"] > 0
    # The seeded data has a policy overdue for review and acknowledgements outstanding.
    assert out["reminders_sent"] > 0
    assert _counts() == before


def test_the_desk_is_measured_before_home_time_whatever_the_hour(seeded, db):
    """bench/cases.py `before_home_time`: the benchmark's schools' home time is the end of the
    day while it runs (a run after 14:30 measured the afternoon's desk), then as it was: a
    school's own setting is put back, a setting made for the run is removed."""
    from datetime import time

    from devices.desk import home_time
    from devices.models import DeviceSettings

    first, second = School.objects.filter(name__startswith="Bench ").order_by("pk")[:2]
    DeviceSettings.objects.create(school=first, home_time=time(15, 5))
    with cases.before_home_time():
        assert home_time(first) == home_time(second) == cases.MORNING_UNTIL
    assert home_time(first) == time(15, 5)
    assert not DeviceSettings.objects.filter(school=second).exists()
