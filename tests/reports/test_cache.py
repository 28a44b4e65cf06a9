"""A completed term's report is computed once and then served from the cache, until a late
edit to what it reads (a handover of one of its days corrected) gives the next view fresh
figures. Only with a cache every worker shares (settings.SHARED_CACHE)."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from people.calendar import SchoolCalendar
from reports import cache as report_cache
from reports import figures
from tests.factories import concern, handovers, london, term
from tests.reports.conftest import TODAY

URL = reverse("reports:governors")
PER_DAY = re.compile(r"Phones handed in per day \(median\)</t[hd]>\s*<td[^>]*>\s*([^<\s]+)")


def _view(client, summer):
    with CaptureQueriesContext(connection) as queries:
        html = client.get(URL, {"term": summer.pk}).content.decode()
    return PER_DAY.search(html).group(1), len(queries)


# Committed for real: a change gives its school a new version only when it commits.
@pytest.mark.django_db(transaction=True)
def test_a_completed_terms_report_is_cached_until_a_late_edit(
    terms, as_user, governor, shared_cache
):
    summer = term(terms.school, "summer", 2026)
    handovers(terms.school, date(2026, 5, 6), 10)
    client = as_user(governor)
    first, computed = _view(client, summer)
    again, served = _view(client, summer)
    assert first == again == "10"
    assert served < computed - 10  # the figures' queries are not made again
    # A late edit: a day of that term, recorded today.
    handovers(terms.school, date(2026, 5, 7), 20)
    after, recomputed = _view(client, summer)
    assert after == "15"
    assert recomputed > served + 10


def test_this_terms_report_is_never_cached(terms, as_user, governor, shared_cache):
    """This term's figures are read at every view: a phone handed in today (which gives no
    school a new version) is in the next one. (Only the completed terms beside it keep their
    daily handover counts cached: `test_past_handovers_are_read_again_only_after_…`.)"""
    client = as_user(governor)
    today = SchoolCalendar.today()
    handovers(terms.school, today - timedelta(days=1), 4)
    client.get(URL, {"term": "now"})
    handovers(terms.school, today, 8)
    html = client.get(URL, {"term": "now"}).content.decode()
    assert PER_DAY.search(html).group(1) == "6"  # the median of 4 and 8


@pytest.mark.django_db(transaction=True)
def test_a_change_gives_its_school_a_new_version_only_when_it_commits(
    terms, shared_cache, monkeypatch
):
    before = report_cache._versions([terms.school.pk])
    given = []
    monkeypatch.setattr(report_cache, "changed", given.append)
    with transaction.atomic():
        handovers(terms.school, date(2026, 5, 7), 5)
        # Not yet committed: another worker reading now gets the old figures, and may cache
        # them, under the old version, which the commit then retires.
        assert given == []
    # For the five handovers (of a past day: their month's own version too) and their
    # learners.
    may = report_cache.handovers_of(terms.school.pk, date(2026, 5, 1))
    assert set(given) == {terms.school.pk, may}
    monkeypatch.undo()
    with transaction.atomic():
        handovers(terms.school, date(2026, 5, 8), 1)
        transaction.set_rollback(True)
    assert report_cache._versions([terms.school.pk]) == before  # rolled back: nothing to do


@pytest.mark.django_db(transaction=True)
def test_the_commentary_is_served_with_the_cached_report_and_a_save_shows_at_once(
    terms, as_user, governor, shared_cache
):
    summer = term(terms.school, "summer", 2026)
    client = as_user(governor)
    _view(client, summer)
    with CaptureQueriesContext(connection) as served:
        page = client.get(URL, {"term": summer.pk}).content.decode()
    assert "No commentary yet" in page or 'id="id_text">\n</textarea>' in page
    assert not any("reports_commentary" in q["sql"] for q in served.captured_queries)
    saved = client.post(reverse("reports:commentary", args=[summer.pk]), {"text": "Fewer phones."})
    assert saved.status_code == 302
    page = client.get(URL, {"term": summer.pk}).content.decode()
    assert "Fewer phones." in page
    assert "Last saved" in page


@pytest.mark.django_db(transaction=True)
def test_past_handovers_are_read_again_only_after_a_late_edit_of_one(
    terms, as_user, governor, shared_cache
):
    """A change to anything else (a concern reported) computes the report again, but not the
    completed terms' daily handover counts (three terms of handovers): a late edit of a past
    day's handover does."""
    summer = term(terms.school, "summer", 2026)
    handovers(terms.school, date(2026, 5, 6), 10)
    client = as_user(governor)
    assert _view(client, summer)[0] == "10"
    concern(terms.school, at=london(2026, 5, 6))
    with CaptureQueriesContext(connection) as queries:
        html = client.get(URL, {"term": summer.pk}).content.decode()
    read = [q["sql"] for q in queries.captured_queries]
    assert any('"incidents_concern"' in sql for sql in read)  # computed again …
    assert not any('"devices_handover"' in sql for sql in read)  # … but not the handovers
    assert PER_DAY.search(html).group(1) == "10"
    handovers(terms.school, date(2026, 5, 7), 20)  # a late edit: a day of that term
    with CaptureQueriesContext(connection) as queries:
        html = client.get(URL, {"term": summer.pk}).content.decode()
    assert any('"devices_handover"' in q["sql"] for q in queries.captured_queries)
    assert PER_DAY.search(html).group(1) == "15"


@pytest.mark.django_db(transaction=True)
def test_a_late_edit_reads_its_month_again_not_the_three_terms(
    terms, as_user, governor, shared_cache
):
    """The daily counts of completed terms are cached by month: a late edit of a May
    handover reads May's handovers again, not the summer term, the spring term and last
    summer that the report compares."""
    summer = term(terms.school, "summer", 2026)
    handovers(terms.school, date(2026, 5, 6), 10)
    handovers(terms.school, date(2026, 3, 10), 4)  # the spring term's
    client = as_user(governor)
    assert _view(client, summer)[0] == "10"
    handovers(terms.school, date(2026, 5, 7), 20)  # a late edit: a day of that term
    with CaptureQueriesContext(connection) as queries:
        html = client.get(URL, {"term": summer.pk}).content.decode()
    (read,) = [q["sql"] for q in queries.captured_queries if '"devices_handover"' in q["sql"]]
    assert "'2026-05-01'" in read and "'2026-05-31'" in read
    assert "'2026-04-" not in read and "'2026-06-" not in read and "'2025-" not in read
    assert PER_DAY.search(html).group(1) == "15"


def test_a_months_counts_are_cached_only_up_to_yesterday(terms, shared_cache):
    """A completed span that ends this month: its month is cached up to yesterday, the last
    day that can no longer change by a check-in (today's send no version), so a span read
    tomorrow sees today's phones."""
    school = terms.school
    handovers(school, date(2026, 11, 20), 3)
    before = figures._handover_days(
        [figures.Span(school.pk, date(2026, 11, 2), date(2026, 11, 20))], TODAY
    )
    assert before[0]["handovers"] == 3
    handovers(school, TODAY, 5)  # today's check-ins: no late edit, no new version
    with time_machine.travel(TODAY + timedelta(days=1)):
        after = figures._handover_days(
            [figures.Span(school.pk, date(2026, 11, 2), TODAY)], TODAY + timedelta(days=1)
        )
    assert after[0]["handovers"] == 8 and after[0]["days"] == 2


@pytest.mark.parametrize("days", [3, 4])  # a median of an odd and of an even number of days
def test_the_cached_daily_figures_are_those_read_from_the_handovers(terms, settings, days):
    school = terms.school
    for n in range(days):
        handovers(school, date(2026, 5, 4 + n), 2 + 3 * n, uncollected=n % 2)
    handovers(school, date(2026, 6, 1), 7)
    spans = [
        figures.Span(school.pk, date(2026, 4, 13), date(2026, 7, 21)),
        figures.Span(school.pk, date(2026, 5, 5), date(2026, 5, 31)),
    ]
    read = figures._handover_days(spans, TODAY)
    settings.SHARED_CACHE = True
    cached = figures._handover_days(spans, TODAY)  # built, then served
    assert figures._handover_days(spans, TODAY) == cached == read
    assert [type(f["median"]) for f in cached.values()] == [
        type(f["median"]) for f in read.values()
    ]
