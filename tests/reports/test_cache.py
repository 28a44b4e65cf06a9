"""A completed term's report is computed once and then served from the cache, until a late
edit to what it reads (a handover of one of its days corrected) gives the next view fresh
figures. Only with a cache every worker shares (settings.SHARED_CACHE)."""

import re
from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import cache as report_cache
from tests.factories import handovers, term

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
    client = as_user(governor)
    client.get(reverse("notifications"))  # the unread badge's count, kept from the first page
    with CaptureQueriesContext(connection) as first:
        client.get(URL, {"term": "now"})
    with CaptureQueriesContext(connection) as second:
        client.get(URL, {"term": "now"})
    assert len(second) == len(first)


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
    assert set(given) == {terms.school.pk}  # for the five handovers and their learners
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
