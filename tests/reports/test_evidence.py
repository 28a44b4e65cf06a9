"""The phone-free school evidence pack (issue 18): its figures on a small world of known
answers, the governors' copy naming no child (page, PDF, CSV), a fixed number of queries, and
a completed term's pack cached until a late edit."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conduct.models import ParentNotice
from conduct.services import breach_record
from devices.models import Absence, Handover
from policies.models import PolicySending
from reports.evidence import _school_days, build_pack, evidence_detail, evidence_totals
from reports.figures import span_for_term
from tests.factories import (
    LearnerFactory,
    MembershipFactory,
    UserFactory,
    exemption,
    london,
    ratified_policy,
    school_with_terms,
    term,
    terms_of,
)
from tests.reports.test_views import _pdf_text, _seed_identifying
from tests.roper.test_pdf import assert_accessible_pdf

URL = reverse("reports:evidence")
TODAY = date(2026, 11, 24)


def _handover(learner, day, by):
    return Handover.objects.create(
        school=learner.school,
        learner=learner,
        school_day=day,
        in_at=london(day.year, day.month, day.day, 8),
        received_by=by,
    )


def _breach(learner, by, at, **kwargs):
    """A breach recorded when it happened (its notices are dated then)."""
    with time_machine.travel(at + timedelta(minutes=5), tick=False):
        return breach_record(learner=learner, by=by, at=at, **kwargs)


def _small_world(school=None):
    """Three learners on roll (two in Year 5 Oak, one in Year 6 Ash, exempt until 6 May), one
    who left; three handovers, three breaches (one given another step), the policy sent."""
    school = school or school_with_terms()
    staff = UserFactory()
    a = LearnerFactory(school=school, year_group="5", class_name="Oak")
    b = LearnerFactory(school=school, year_group="5", class_name="Oak")
    c = LearnerFactory(school=school, year_group="6", class_name="Ash")
    LearnerFactory(school=school, year_group="6", class_name="Ash", active=False)
    exemption(c, staff, staff, review_on=date(2026, 5, 6), decided_at=london(2026, 3, 2))
    _handover(a, date(2026, 5, 5), staff)
    _handover(b, date(2026, 5, 5), staff)
    _handover(a, date(2026, 5, 6), staff)
    _breach(a, staff, london(2026, 5, 5, 10), kind="seen", period="break", place="playground")
    _breach(a, staff, london(2026, 5, 6, 11), kind="used", period="lesson", place="classroom")
    _breach(
        b, staff, london(2026, 5, 7, 11), kind="used", period="lesson",
        place="classroom", applied_position=3, override_reason="Filmed another pupil",
    )  # fmt: skip
    policy = ratified_policy(school)
    PolicySending.objects.create(
        policy=policy,
        version=policy.versions.first(),
        school_year=2025,
        sent_on=date(2025, 9, 10),
        sent_by=staff,
        method="email",
        recorded_by=staff,
    )
    return school, (a, b, c)


def test_the_figures_of_a_small_world(db):
    school, (a, b, c) = _small_world()
    terms = terms_of(school)
    summer = term(school, "summer", 2026)
    span = span_for_term(summer, terms, today=TODAY)
    days = _school_days(span)
    d = evidence_detail(span, school=school, names=True)

    by_day = {day: (e, h) for day, e, h in d.days}
    assert by_day[date(2026, 5, 5)] == (2, 2)  # c is exempt
    assert by_day[date(2026, 5, 6)] == (2, 1)  # the exemption's last day
    assert by_day[date(2026, 5, 7)] == (3, 0)  # lapsed: c is expected again
    exempt_days = sum(1 for day in days if day <= date(2026, 5, 6))
    assert d.years == [("Year 5", 2 * len(days), 3), ("Year 6", len(days) - exempt_days, 0)]
    year_6 = len(days) - exempt_days
    assert d.classes == [("Year 5: Oak", 2 * len(days), 3), ("Year 6: Ash", year_6, 0)]

    assert d.places == {("playground", "break"): 1, ("classroom", "lesson"): 2}
    k = d.consistency
    assert (k.total, k.on_ladder, k.overridden) == (3, 2, 1)

    (only,) = d.exemptions
    assert only["state"] == "lapsed"
    assert only["learner"] == c.name

    # The second breach of a reaches a step that involves parents, as does b's override.
    notices = ParentNotice.objects.filter(school=school).count()
    assert sum(d.notices.values()) == notices == 2
    assert d.sendings and d.school_year == "2025/26"

    pack = build_pack(school=school, term=summer, terms=terms, today=TODAY, full=False)
    trend = pack.sections[-1].tables[0]
    assert [r.label for r in trend.rows][-1] == "Summer 2026"
    # The exemption was approved in the spring: not in force the summer before.
    assert [r.cells[7] for r in trend.rows] == ["0", "0", "fewer than 3", "fewer than 3"]
    summer_row = trend.rows[-1].cells
    # Three breaches: 2 on the ladder and 1 overridden are small, so hidden.
    assert summer_row[3:6] == ["3", "fewer than 3", "fewer than 3"]
    assert summer_row[-1] == "yes"  # the policy was sent in 2025/26
    # The governors' copy names no class and lists no exempt learner.
    assert pack.exemptions == []
    classes = pack.sections[0].tables[1]
    assert [r.label for r in classes.rows] == ["Year 5: class 1", "Year 6: class 1", "All classes"]


def test_a_learner_the_office_marked_absent_is_not_expected_and_exempt_ones_not_twice(db):
    school, (a, b, c) = _small_world()
    staff = UserFactory()
    terms = terms_of(school)
    span = span_for_term(term(school, "summer", 2026), terms, today=TODAY)
    days = _school_days(span)
    before = evidence_detail(span, school=school)
    before_totals = evidence_totals([span])[0]
    # b absent on the 7th; c (exempt until the 6th) absent on the 6th and the 7th.
    for learner, day in ((b, date(2026, 5, 7)), (c, date(2026, 5, 6)), (c, date(2026, 5, 7))):
        Absence.objects.create(school=school, learner=learner, school_day=day, recorded_by=staff)

    d = evidence_detail(span, school=school, names=True)
    by_day = {day: (e, h) for day, e, h in d.days}
    assert by_day[date(2026, 5, 5)] == (2, 2)
    assert by_day[date(2026, 5, 6)] == (2, 1)  # c exempt that day: taken off once, not twice
    assert by_day[date(2026, 5, 7)] == (1, 0)  # b and c absent: only a expected
    exempt_days = sum(1 for day in days if day <= date(2026, 5, 6))
    assert d.classes == [
        ("Year 5: Oak", 2 * len(days) - 1, 3),
        ("Year 6: Ash", len(days) - exempt_days - 1, 0),
    ]
    assert sum(e for _, e, _ in d.years) == sum(e for _, e, _ in before.years) - 2
    assert evidence_totals([span])[0].expected == before_totals.expected - 2


def test_the_full_copy_shows_every_count(db):
    school, _ = _small_world()
    summer = term(school, "summer", 2026)
    pack = build_pack(school=school, term=summer, terms=terms_of(school), today=TODAY, full=True)
    places = pack.sections[1].tables[0]
    assert places.rows[-1].cells[-1] == "3"
    consistency = pack.sections[2].tables[0]
    assert consistency.rows[-1].cells == ["2", "1", "3"]


def _secret_world(world):
    """The governors' report's identifying records, and the pack's own: an exemption, a
    breach seen by a named member of staff, a parent notice."""
    secrets = _seed_identifying(world)
    from people.models import Learner

    zeb = Learner.objects.get(legal_last_name="Quuxworthy")
    member = MembershipFactory(
        school=world.school, roles=["staff"], user__first_name="Gwendolyn", user__last_name="Xu"
    )
    exemption(zeb, member.user, member.user, review_on=date(2026, 6, 1))
    _breach(
        zeb, member.user, london(2026, 5, 5, 10), kind="seen", period="break",
        place="toilets", place_detail="Pixiewing block", what_next="Trombonist reply",
    )  # fmt: skip
    return [*secrets, "Gwendolyn", "Pixiewing", "Trombonist"]


def test_the_governors_copy_names_no_child_in_the_page_csv_or_pdf(terms, as_user, governor):
    secrets = _secret_world(terms)
    client = as_user(governor)
    summer = term(terms.school, "summer", 2026)
    html = client.get(URL, {"term": summer.pk}).content.decode()
    assert "Hand-in compliance" in html and "Learners&#x27; exemptions" in html
    csv_text = client.get(URL, {"term": summer.pk, "format": "csv"}).content.decode()
    pdf = client.get(URL, {"term": summer.pk, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert_accessible_pdf(pdf.content, f"Phone-free school evidence: {terms.school.name}")
    pdf_text = _pdf_text(pdf.content)
    assert "Consistency of sanctions" in pdf_text
    for secret in secrets:
        for name, text in (("page", html), ("CSV", csv_text), ("PDF", pdf_text)):
            assert secret.lower() not in text.lower(), f"{secret!r} in the {name}"


def test_the_head_sees_the_exempt_learners_by_name(terms, as_user, head):
    _secret_world(terms)
    summer = term(terms.school, "summer", 2026)
    html = as_user(head).get(URL, {"term": summer.pk}).content.decode()
    assert "Zebbo Quuxworthy" in html
    assert "Narwhalclass" in html


def test_the_number_of_queries_does_not_grow_with_the_data(terms, as_user, head):
    client = as_user(head)
    summer = term(terms.school, "summer", 2026)
    client.get(URL, {"term": summer.pk})  # the session, the ladder's first read
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"term": summer.pk})
    _small_world(terms.school)
    _secret_world(terms)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, {"term": summer.pk})
    assert response.status_code == 200
    assert len(many) == len(few)


@pytest.mark.django_db(transaction=True)
def test_a_completed_terms_pack_is_cached_until_a_late_edit(terms, as_user, head, shared_cache):
    summer = term(terms.school, "summer", 2026)
    client = as_user(head)

    def view():
        with CaptureQueriesContext(connection) as queries:
            html = client.get(URL, {"term": summer.pk}).content.decode()
        return html.split('id="evidence-1"', 1)[1].split("</main>", 1)[0], len(queries)

    first, computed = view()
    again, served = view()
    assert first == again
    assert served < computed - 8
    learner = LearnerFactory(school=terms.school)
    _breach(learner, head, london(2026, 5, 5, 10), kind="seen", period="lunch", place="dining")
    after, recomputed = view()
    assert recomputed > served + 8
    assert after != first


def test_a_governor_reaches_the_pack_from_the_report(terms, as_user, governor):
    html = as_user(governor).get(reverse("reports:governors")).content.decode()
    assert f'href="{URL}?term=' in html


def test_the_trust_view_counts_per_school(terms, as_user):
    user = UserFactory()
    MembershipFactory(user=user, school=None, trust=terms.school.trust, roles=["governor"])
    _small_world(terms.school)
    response = as_user(user).get(reverse("reports:evidence_trust"), {"term": "summer-2026"})
    html = response.content.decode()
    assert response.status_code == 200
    assert terms.school.name in html and terms.other_school.name in html


def _trustee(world):
    user = UserFactory()
    MembershipFactory(user=user, school=None, trust=world.school.trust, roles=["governor"])
    return user


def test_the_trust_view_downloads_as_pdf_and_csv_with_the_pages_counts_and_no_child(terms, as_user):
    secrets = _secret_world(terms)
    _small_world(terms.school)
    client = as_user(_trustee(terms))
    trust_url = reverse("reports:evidence_trust")
    page = client.get(trust_url, {"term": "summer-2026"})
    table = page.context["table"]
    html = page.content.decode()
    assert "format=pdf" in html and "format=csv" in html  # the downloads are offered

    csv_response = client.get(trust_url, {"term": "summer-2026", "format": "csv"})
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert "evidence-pack-" in csv_response["Content-Disposition"]
    csv_text = csv_response.content.decode("utf-8-sig")
    # The page's rows, cell for cell (suppressed as the page is: the school view's governors).
    for row in table.rows:
        assert ",".join([row.label, *row.cells]) in csv_text
    assert any("fewer than" in cell for row in table.rows for cell in row.cells)
    assert "counts from 1 to" in csv_text

    pdf = client.get(trust_url, {"term": "summer-2026", "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert_accessible_pdf(pdf.content, f"Phone-free school evidence: {terms.school.trust.name}")
    pdf_text = _pdf_text(pdf.content)
    assert "Anthony Roper" in pdf_text and "Other Primary" in pdf_text  # names wrap in cells
    assert "Each school of the trust" in pdf_text
    for secret in secrets:
        for name, text in (("page", html), ("CSV", csv_text), ("PDF", pdf_text)):
            assert secret.lower() not in text.lower(), f"{secret!r} in the {name}"


def test_the_trust_downloads_are_refused_to_a_schools_governor_and_404_for_another_format(
    terms, as_user, governor
):
    trust_url = reverse("reports:evidence_trust")
    for fmt in ("pdf", "csv"):
        response = as_user(governor).get(trust_url, {"term": "summer-2026", "format": fmt})
        assert response.status_code == 403
    trustee = as_user(_trustee(terms))
    assert trustee.get(trust_url, {"term": "summer-2026", "format": "xls"}).status_code == 404
    assert trustee.get(trust_url, {"term": "winter-1999", "format": "pdf"}).status_code == 404
