"""The number of queries for a report does not grow with the number of rows (or schools)."""

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from devices.models import CustodyState
from incidents.models import Entry, Referral
from policies.models import Acknowledgement, TrainingAttendance
from tests.conftest import session_queries
from tests.factories import (
    MembershipFactory,
    TrainingSessionFactory,
    concern,
    handovers,
    london,
    ratified_policy,
    reconciled,
    referral,
    school_with_terms,
    staff,
    staff_exception,
    term,
)
from tests.factories import confiscation_at as confiscation

URL = reverse("reports:governors")
KEYS = ["social_media", "device_misuse", "staff_breach", "about_head", "staff_illegal"]


def _data(school, n, first_day=date(2026, 5, 4)):
    for i in range(n):
        at = london(2026, 5, 4 + i % 20, 9)
        made = concern(school, KEYS[i % len(KEYS)], at, triage_after=timedelta(hours=i + 1))
        referral(made, Referral.LADO, timedelta(hours=2))
        Entry.objects.create(concern=made, kind=Entry.Kind.ACTION, at=at)
        confiscation(school, at, CustodyState.RELEASED)
        staff_exception(school, at)
        concern(school, KEYS[i % len(KEYS)], london(2026, 2, 2 + i % 20))  # previous term
    for day in range(n):
        handovers(school, first_day + timedelta(days=day), 2)
        reconciled(school, first_day + timedelta(days=day))
    people = staff(school, n)
    version = ratified_policy(school).versions.get()
    session = TrainingSessionFactory(school=school, held_on=date(2026, 5, 1))
    for user in people:
        Acknowledgement.objects.create(version=version, user=user)
        TrainingAttendance.objects.create(session=session, user=user)


def _count(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries)


def test_a_schools_report_takes_the_same_queries_with_more_rows(
    terms, as_user, governor, django_assert_max_num_queries
):
    client = as_user(governor)
    summer = term(terms.school, "summer", 2026)
    _data(terms.school, 1)
    small = _count(client, URL, {"term": summer.pk})
    _data(terms.school, 12, first_day=date(2026, 6, 1))
    with django_assert_max_num_queries(small):
        client.get(URL, {"term": summer.pk})
    # The figures of three terms and the trend (reports/figures.py), the policies, the page.
    assert small <= 26 + session_queries()
    # The CSV is the same report: no more queries either.
    with django_assert_max_num_queries(small):
        client.get(URL, {"term": summer.pk, "format": "csv"})


def test_the_trust_report_takes_the_same_queries_with_more_schools(
    terms, as_user, django_assert_max_num_queries
):
    trustee = MembershipFactory(school=None, trust=terms.school.trust, roles=["governor"]).user
    client = as_user(trustee)
    _data(terms.school, 2)
    small = _count(client, reverse("reports:trust"), {"term": "summer-2026"})
    for _ in range(3):
        school = school_with_terms(trust=terms.school.trust)
        _data(school, 3)
    with django_assert_max_num_queries(small):
        response = client.get(reverse("reports:trust"), {"term": "summer-2026"})
    assert response.content.decode().count('<th scope="col" class="num">') >= 6


def test_the_referral_index_holds_every_kind_of_entry_that_records_a_referral():
    """The report reads the entries that record a referral from a partial index alone
    (incidents/models.py `entry_records_referral`); a kind added to RECORDS_REFERRAL but not
    to the index would send the report back to reading every entry."""
    index = next(i for i in Entry._meta.indexes if i.name == "entry_records_referral")
    (lookup, kinds), *_ = index.condition.children
    assert lookup == "kind__in"
    assert set(kinds) == set(Entry.RECORDS_REFERRAL)
