"""The report's medians are computed by PostgreSQL (`PERCENTILE_CONT`), and by Python from the
rows elsewhere (SQLite): both give the same figures on the same data (issue 17)."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import figures as figures_module
from reports.figures import figures_for, span_for_term
from tests.factories import concern, handovers, london, school_with_terms, term, terms_of

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
MIN = timedelta(minutes=1)
TODAY = date(2026, 11, 24)


def _span(school, season):
    return span_for_term(term(school, season, 2026), terms_of(school))


@pytest.fixture
def spans():
    school, other = school_with_terms(), school_with_terms()
    # Summer: four concerns triaged (an even number: halfway between the middle two), one late
    # and one not triaged; spring: three (an odd number: the middle one).
    at = london(2026, 5, 5, 9)
    for after in (31 * MIN, 120 * MIN, 10 * MIN, 300 * MIN):
        concern(school, at=at, triage_after=after, deadline_after=240 * MIN)
    concern(school, at=at)
    for after in (7 * MIN, 61 * MIN, 1000 * MIN):
        concern(school, at=london(2026, 2, 3, 10), triage_after=after)
    concern(other, at=at, triage_after=45 * MIN)
    # Phones handed in: summer 2, 3, 6 and 1 a day (one left uncollected), spring 7, 1, 4.
    for day, n in ((5, 2), (6, 3), (7, 6), (8, 1)):
        handovers(school, date(2026, 5, day), n, uncollected=1 if day == 7 else 0)
    for day, n in ((3, 7), (4, 1), (5, 4)):
        handovers(school, date(2026, 2, day), n)
    return [_span(school, "summer"), _span(school, "spring"), _span(other, "summer")]


def test_postgresql_and_python_give_the_same_medians(spans, monkeypatch, settings):
    # Both ways read the handovers: none of their daily counts from the cache (reports/cache).
    settings.SHARED_CACHE = False
    with CaptureQueriesContext(connection) as in_sql_queries:
        in_sql = figures_for(spans, today=TODAY)
    assert sum("PERCENTILE_CONT" in q["sql"] for q in in_sql_queries.captured_queries) == 2

    monkeypatch.setattr(figures_module, "medians_in_sql", lambda queryset: False)
    with CaptureQueriesContext(connection) as in_python_queries:
        in_python = figures_for(spans, today=TODAY)
    assert not any("PERCENTILE_CONT" in q["sql"] for q in in_python_queries.captured_queries)
    assert len(in_sql_queries) == len(in_python_queries)

    for sql, python in zip(in_sql, in_python, strict=True):
        assert sql.concerns == python.concerns
        assert sql.devices == python.devices
    summer, spring, other = in_sql
    assert summer.concerns["median_triage"] == (31 + 120) / 2 * MIN
    assert summer.concerns["longest_triage"] == 300 * MIN
    assert (summer.concerns["triaged"], summer.concerns["triaged_in_time"]) == (4, 3)
    assert summer.concerns["untriaged"] == 1
    assert spring.concerns["median_triage"] == 61 * MIN
    assert other.concerns["median_triage"] == 45 * MIN
    assert summer.devices["median_handovers"] == 2.5
    # An odd number of days: the middle day's count, an int, as statistics.median gives it.
    assert spring.devices["median_handovers"] == 4
    assert type(spring.devices["median_handovers"]) is type(
        in_python[1].devices["median_handovers"]
    )
    assert (summer.devices["handover_days"], summer.devices["handovers"]) == (4, 12)
    assert (summer.devices["not_collected"], summer.devices["days_not_collected"]) == (1, 1)
    assert other.devices["median_handovers"] is None and other.devices["handover_days"] == 0
