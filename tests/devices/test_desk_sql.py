"""The desk search is one SQL statement (devices/desk.py, SEARCH_SQL) for speed; its rules
are the models'. Here the ORM spelling of the same search (as the desk ran it until issue 17,
built from `LearnerExemption.active_q` and `ParentContactException.in_force_q`) is the
oracle: on a school with every kind of row that bears on a match, an order or a badge,
both must find the same learners, in the same order, with the same state."""

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from devices import desk
from devices.models import (
    DeviceSettings,
    Handover,
    LearnerExemption,
    ParentContactException,
)
from people.models import Learner
from roper import sql
from tests.factories import LearnerFactory

MORNING = datetime(2026, 11, 24, 8, 45, tzinfo=UTC)
AFTERNOON = datetime(2026, 11, 24, 15, 45, tzinfo=UTC)
TODAY = date(2026, 11, 24)
FIRSTS = ["Amelia", "Amir", "Ben", "Bella", "Chloe", "Ámelie", "O'Neil", "Zoë"]
LASTS = ["Khan", "Kingsbury", "Smith", "Smithson", "Brown", "Nguyen", "Ámos", "100%_sure"]


def oracle(*, school, q, day, home_time, shown, limit=desk.LIMIT):
    """[(pk, today's handover id, tag, out, exemption reason, parent contact, until)]: the
    search as Django's ORM wrote it."""
    words = q.split()
    if len(q.strip()) < desk.MIN_CHARS:
        return []
    previous = (
        Handover.objects.filter(school=school, school_day__lt=day, undone_at__isnull=True)
        .order_by("-school_day")
        .values("school_day")[:1]
    )
    pouches = Handover.objects.filter(
        school_day__lte=day,
        school_day__gte=Coalesce(Subquery(previous), Value(day)),
        undone_at__isnull=True,
    )
    matches = []
    for word in words:
        match = (
            Q(legal_first_name__istartswith=word)
            | Q(preferred_name__istartswith=word)
            | Q(legal_last_name__istartswith=word)
            | Q(class_name__iexact=word)
        )
        if len(words) == 1:
            match |= Exists(pouches.filter(learner=OuterRef("pk"), tag__iexact=word))
        matches.append(match)
    exemption = LearnerExemption.objects.filter(
        LearnerExemption.active_q(day), learner=OuterRef("pk")
    ).order_by("-created_at", "-pk")
    contact = ParentContactException.objects.filter(
        ParentContactException.in_force_q(day), learner=OuterRef("pk")
    ).order_by("-decided_at", "-pk")
    learners = Learner.objects.filter(Q(school=school, active=True), *matches).annotate(
        today=FilteredRelation(
            "handovers",
            condition=Q(handovers__school_day=day, handovers__undone_at__isnull=True),
        ),
        today_pk=F("today__id"),
        today_tag=F("today__tag"),
        today_out=F("today__out_at"),
        exemption_reason=Subquery(exemption.values("reason")[:1]),
        contact=Subquery(contact.values("details")[:1]),
        contact_until=Subquery(contact.values("ends_on")[:1]),
    )
    if home_time:
        held = Q(today_pk__isnull=False, today_out__isnull=True)
        first = ExpressionWrapper(held, output_field=BooleanField()).desc()
    else:
        first = ExpressionWrapper(Q(today_pk__isnull=False), output_field=BooleanField()).asc()
    rows = learners.order_by(first, "legal_last_name", "legal_first_name", "pk")[:limit]
    return [
        (
            r.pk,
            r.today_pk,
            r.today_tag if r.today_pk else None,
            r.today_out,
            r.exemption_reason,
            r.contact if shown else None,
            r.contact_until if shown else None,
        )
        for r in rows
    ]


def found(*, school, q, day, home_time, shown):
    return [
        (
            lr.pk,
            lr.today.pk if lr.today else None,
            lr.today.tag if lr.today else None,
            lr.today.out_at if lr.today else None,
            lr.exemption.value if lr.exemption else None,
            lr.parent_contact if shown else None,
            lr.parent_contact_until if shown else None,
        )
        for lr in desk.search(school=school, q=q, day=day, home_time=home_time, shown=shown)
    ]


@pytest.fixture
def busy_school(world, office, head):
    """A school whose learners share first names, surnames and classes, with handovers today
    (in, out, undone), on the previous day of handovers and before it (pouch numbers), and
    exemptions and parent-contact exceptions approved, refused, begun, ended and ahead."""
    rng = random.Random(17)  # noqa: S311 (test data)
    school = world.school
    learners = [
        LearnerFactory(
            school=school,
            legal_first_name=rng.choice(FIRSTS),
            legal_last_name=rng.choice(LASTS),
            preferred_name=rng.choice(["", "", "Mia", "Benji"]),
            class_name=rng.choice(["Oak", "Ash", "Elm"]),
            active=rng.random() > 0.1,
        )
        for _ in range(60)
    ]
    statuses = ["approved", "approved", "refused", "pending"]
    for n, learner in enumerate(learners):
        for day, chance in ((TODAY, 0.6), (date(2026, 11, 23), 0.5), (date(2026, 11, 20), 0.5)):
            if rng.random() < chance:
                at = datetime.combine(day, time(8, 30), UTC)
                Handover.objects.create(
                    school=school,
                    learner=learner,
                    school_day=day,
                    tag=f"P{rng.randint(1, 30)}" if rng.random() < 0.8 else "",
                    in_at=at,
                    received_by=office,
                    out_at=at + timedelta(hours=7) if rng.random() < 0.3 else None,
                    undone_at=at if rng.random() < 0.1 else None,
                )
        if n % 4 == 0:
            LearnerExemption.objects.create(
                school=school,
                learner=learner,
                requested_by=office,
                reason=rng.choice(LearnerExemption.Reason.values),
                details="x",
                review_on=TODAY + timedelta(days=rng.choice([-1, 0, 30])),
                starts_on=rng.choice([None, TODAY, TODAY + timedelta(days=1)]),
                status=rng.choice(statuses),
                decided_by=head,
            )
        if n % 3 == 0:
            ParentContactException.objects.create(
                school=school,
                learner=learner,
                requested_by=office,
                details=f"Contact {n}",
                starts_on=rng.choice([None, TODAY, TODAY + timedelta(days=1)]),
                ends_on=rng.choice([None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(9)]),
                status=rng.choice(statuses),
                decided_by=head,
                decided_at=datetime(2026, 11, 1, 9, tzinfo=UTC) + timedelta(minutes=n),
            )
    DeviceSettings.objects.create(school=school, home_time=time(15, 0))
    return school


QUERIES = ["am", "Amel", "ámel", "khan", "Smith", "smithson", "oak", "ELM", "am kh", "Mia",
           "p7", "P12", "o'n", "100%", "100%_", "zo", "ben smi", "benji", "zz", "a_"]  # fmt: skip


@pytest.mark.parametrize("shown", [True, False])
@pytest.mark.parametrize("now", [MORNING, AFTERNOON], ids=["morning", "home time"])
def test_the_sql_search_finds_what_the_models_rules_find(busy_school, shown, now):
    with time_machine.travel(now, tick=False):
        for q in QUERIES:
            home_time = now == AFTERNOON
            expected = oracle(school=busy_school, q=q, day=TODAY, home_time=home_time, shown=shown)
            assert found(school=busy_school, q=q, day=TODAY, home_time=None, shown=shown) == (
                expected
            ), q
            assert found(school=busy_school, q=q, day=TODAY, home_time=home_time, shown=shown) == (
                expected
            ), q
        # The queries found something: the comparison is not of empty lists.
        assert oracle(school=busy_school, q="am", day=TODAY, home_time=False, shown=shown)


def test_home_time_comes_from_the_schools_setting_in_the_same_query(busy_school):
    with time_machine.travel(datetime(2026, 11, 24, 14, 45, tzinfo=UTC), tick=False):
        # 14:45 in London: after Roper's default home time (14:30), before the school's 15:00.
        assert not desk.search(school=busy_school, q="am", day=TODAY)[0].at_home
        DeviceSettings.objects.filter(school=busy_school).delete()
        assert desk.search(school=busy_school, q="am", day=TODAY)[0].at_home


@pytest.mark.postgres
def test_on_postgresql_the_search_is_planned_once_and_can_read_only_the_learners_it_finds(
    busy_school,
):
    """The search is a prepared statement: one generic plan per shape serves every search on
    a connection (roper/sql.py). It is written so that one plan can read the learners by the
    indexes of their school's names (people/0010), and the pouch numbers by theirs, rather
    than every learner of the school (seen here in a
    school of 1,500 learners, analysed, as a live database is)."""
    # A school of 1,500 (the planner reads a small table whole, whatever its indexes).
    rng = random.Random(15)  # noqa: S311 (test data)
    Learner.objects.bulk_create(
        Learner(
            school=busy_school,
            legal_first_name=f"{rng.choice(FIRSTS)}{n}",
            legal_last_name=f"{rng.choice(LASTS)}{n}",
            class_name=f"C{n % 50}",
            year_group="7",
            upn=f"T{n:012d}",
            date_of_birth=date(2012, 1, 1),
        )
        for n in range(1500)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE people_learner")
    with time_machine.travel(MORNING, tick=False):
        for q in QUERIES:
            desk.search(school=busy_school, q=q, day=TODAY)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements"
                " WHERE name LIKE 'desk_search_%%'"
            )
            plans = {name: (generic, custom) for name, generic, custom in cursor.fetchall()}
        assert {"desk_search_1_1_1", "desk_search_2_1_1"} <= set(plans)
        assert all(custom == 0 and generic > 0 for generic, custom in plans.values())
        for q in ("smi", "ben smi"):
            words = q.split()
            statement, params = desk.search_statement(
                school_id=busy_school.pk,
                words=words,
                day=TODAY,
                limit=desk.LIMIT,
                home_time=None,
                shown=True,
            )
            prepared = desk._PREPARED[(len(words), True, True)]
            assert statement == prepared.execute
            copy = sql.Prepared(f"test_search_{len(words)}", prepared.statement, prepared.types)
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + copy.sql(connection), params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            for column in desk.NAMES:
                assert f"Index Scan using learner_school_{column}_prefix" in plan, plan
            # One word is also a pouch number: the handovers of the days it may be from.
            assert ("on devices_handover p" in plan) == (len(words) == 1), plan
            assert "Seq Scan" not in plan, plan
            # The learners listed are read by their key: the few the names found.
            assert "Index Scan using people_learner_pkey on people_learner l" in plan, plan
