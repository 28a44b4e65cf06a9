"""Each figure of the report on hand-built data with known answers, including the edges of
a term's span (it runs from the day after the previous term ended to the term's last day)."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from devices.models import Confiscation, ConfiscationReason, CustodyState
from incidents.models import Concern, Entry, Referral
from people.calendar import SchoolCalendar
from policies.models import Acknowledgement, ReviewTrigger, TrainingAttendance, TrainingSettings
from reports.figures import (
    Span,
    concern_trend,
    figures_and_trend,
    figures_for,
    same_term_last_year,
    span_for_term,
)
from tests.factories import (
    TrainingSessionFactory,
    concern,
    curriculum_request,
    handovers,
    london,
    ratified_policy,
    reconciled,
    referral,
    school_with_terms,
    staff,
    staff_exception,
    term,
    terms_of,
)
from tests.factories import confiscation_at as confiscation

pytestmark = pytest.mark.django_db
H = timedelta(hours=1)


@pytest.fixture
def school():
    return school_with_terms()


def summer(school):
    terms = terms_of(school)
    return span_for_term(term(school, "summer", 2026), terms)


def figures(school, span=None):
    return figures_for([span or summer(school)], today=date(2026, 11, 24))[0]


def test_a_terms_span_starts_the_day_after_the_previous_term_and_ends_on_its_last_day(school):
    span = summer(school)
    assert (span.start, span.end) == (date(2026, 3, 28), date(2026, 7, 21))
    first = span_for_term(term(school, "summer", 2025), terms_of(school))
    assert first.start == date(2025, 4, 22)  # the first term on file starts on its first day


def test_concerns_count_inside_the_span_only(school):
    concern(school, at=london(2026, 3, 27, 23, 59))  # spring's last minute
    concern(school, at=london(2026, 3, 28, 0, 0))  # the Easter holiday: summer's report
    concern(school, at=london(2026, 7, 21, 23, 59))  # summer's last minute
    concern(school, at=london(2026, 7, 22, 0, 0))  # autumn's report
    assert figures(school).concerns["total"] == 2


def test_a_withdrawn_concern_is_not_counted(school):
    """A duplicate withdrawn (issue 16) is kept on record but is not a second concern."""
    kept = concern(school, at=london(2026, 5, 4))
    concern(school, at=london(2026, 5, 4, 12, 5), status="withdrawn", duplicate_of=kept)
    Entry.objects.create(concern=kept, kind=Entry.Kind.ACTION, text="Follow up")
    fig = figures(school)
    assert fig.concerns["total"] == 1
    assert sum(fig.concerns["status"].values()) == 1 and "withdrawn" not in fig.concerns["status"]


def test_contact_with_parents_counts_as_the_parents_referral(school):
    """One rule with the concern's page: a recorded contact with the parents/carers is its
    "parents/carers informed" referral, in time when made by the deadline."""
    told = concern(school, "social_media", london(2026, 5, 4))  # requires parents
    Entry.objects.create(
        concern=told,
        kind=Entry.Kind.PARENT_CONTACT,
        contact_who="Dad",
        contact_how="Phone",
        referred_at=london(2026, 5, 4, 15),
    )
    c = figures(school).concerns
    assert (c["made_parents"], c["in_time_parents"], c["referrals_missing"]) == (1, 1, 0)


def test_previous_term_and_the_same_term_last_year(school):
    terms = terms_of(school)
    calendar = SchoolCalendar(school)
    summer26 = term(school, "summer", 2026)
    assert calendar.previous_term(summer26) == term(school, "spring", 2026)
    assert same_term_last_year(summer26, terms) == term(school, "summer", 2025)
    assert calendar.last_completed_term(date(2026, 11, 24)) == summer26
    assert calendar.current_term(date(2026, 11, 24)) == term(school, "autumn", 2026)
    assert calendar.current_term(date(2026, 8, 1)) == term(school, "autumn", 2026)


def test_this_term_so_far_ends_today(school):
    autumn = term(school, "autumn", 2026)
    span = span_for_term(autumn, terms_of(school), today=date(2026, 10, 1))
    assert (span.start, span.end) == (date(2026, 7, 22), date(2026, 10, 1))
    # School days: 2 Sept to 1 Oct, weekdays only.
    assert span.school_days() == 22


def test_by_category_route_and_outcome(school):
    at = london(2026, 5, 5)
    concern(school, "social_media", at)
    concern(school, "social_media", at, status=Concern.Status.CLOSED)
    concern(school, "device_misuse", at, status=Concern.Status.IN_PROGRESS)
    concern(school, "staff_breach", at)  # the headteacher's
    concern(school, "about_head", at)  # the chair's
    f = figures(school)
    assert f.by_category == {
        "social_media": 2,
        "device_misuse": 1,
        "staff_breach": 1,
        "about_head": 1,
    }
    assert f.concerns["route"] == {"dsl": 3, "headteacher": 1, "chair": 1}
    assert f.concerns["status"] == {"new": 3, "in_progress": 1, "awaiting_referral": 0, "closed": 1}


def test_time_to_triage_median_longest_and_against_the_deadline(school):
    at = london(2026, 5, 5, 9)
    concern(school, at=at, triage_after=timedelta(minutes=30))
    concern(school, at=at, triage_after=2 * H)
    concern(school, at=at, triage_after=5 * H, deadline_after=4 * H)  # late
    concern(school, at=at)  # not triaged
    f = figures(school)
    assert f.concerns["median_triage"] == 2 * H
    assert f.concerns["longest_triage"] == 5 * H
    assert f.concerns["triaged_in_time"] == 2
    assert f.concerns["triaged_late"] == 1
    assert f.concerns["untriaged"] == 1


def test_time_to_triage_uses_the_first_triage_entry(school):
    made = concern(school, at=london(2026, 5, 5, 9), triage_after=3 * H)
    Entry.objects.create(concern=made, kind=Entry.Kind.TRIAGE, at=made.reported_at + H)
    assert figures(school).concerns["longest_triage"] == H


def test_escalated_and_referrals_in_time(school):
    at = london(2026, 6, 1, 9)
    concern(school, "abusive_messages", at, escalation_level=1)  # no referral required
    concern(school, "abusive_messages", at, escalation_level=2)
    concern(school, "abusive_messages", at)
    head = concern(school, "about_head", at, deadline_after=24 * H)  # LADO required
    referral(head, Referral.LADO, 3 * H)  # in time
    illegal = concern(school, "staff_illegal", at, deadline_after=H)  # police and LADO
    referral(illegal, Referral.POLICE, 2 * H)  # late; LADO never made
    f = figures(school)
    c = f.concerns
    assert c["escalated"] == 2
    assert c["referrals_required"] == 3
    assert (c["referrals_in_time"], c["referrals_late"], c["referrals_missing"]) == (1, 1, 1)
    assert c["referral_route"] == {Referral.LADO: 1, Referral.POLICE: 1}


def test_devices(school):
    handovers(school, date(2026, 5, 5), 3)
    handovers(school, date(2026, 5, 6), 5, uncollected=1)
    handovers(school, date(2026, 5, 7), 10)
    handovers(school, date(2026, 3, 27), 7)  # spring
    reconciled(school, date(2026, 5, 5))
    reconciled(school, date(2026, 5, 6))
    reconciled(school, date(2026, 3, 27))
    confiscation(school, london(2026, 5, 5), CustodyState.RELEASED)
    confiscation(school, london(2026, 5, 6), CustodyState.RELEASED)
    confiscation(school, london(2026, 5, 7), CustodyState.POLICE)
    confiscation(school, london(2026, 5, 8), CustodyState.SECURED)
    confiscation(school, london(2026, 3, 27), CustodyState.POLICE)  # spring
    staff_exception(school, london(2026, 5, 1))
    staff_exception(school, london(2026, 5, 1), status="declined")
    staff_exception(school, london(2026, 5, 1), kind="relationship")
    curriculum_request(school, london(2026, 6, 1))
    curriculum_request(school, london(2026, 8, 1))  # autumn's report
    Confiscation.objects.filter(confiscated_at=london(2026, 5, 7)).update(
        reason_kind=ConfiscationReason.IMAGES
    )
    d = figures(school).devices
    # 13 Apr – 21 Jul 2026: 72 weekdays, less the two May bank holidays.
    assert d["school_days"] == 70
    assert (d["handover_days"], d["handovers"], d["median_handovers"]) == (3, 18, 5)
    assert d["not_collected"] == 1
    assert d["days_reconciled"] == 2
    assert d["confiscations"] == 4
    assert d["confiscation_ends"] == {"parent": 2, "police": 1, "held": 1}
    reasons = d["confiscation_reasons"]
    assert reasons[ConfiscationReason.IMAGES] == 1
    assert sum(reasons.values()) == 4
    assert d["granted"]["staff_device"] == 1
    assert d["granted"]["staff_relationship"] == 1
    assert d["curriculum_approved"] == 1


def test_acknowledgement_and_training_at_the_spans_end(school):
    people = staff(school, 4)
    staff(school, 1, roles=("governor",))  # not staff: does not count
    policy = ratified_policy(school, ratified_on=date(2026, 2, 1))
    version = policy.versions.get()
    Acknowledgement.objects.create(version=version, user=people[0], at=london(2026, 2, 3))
    Acknowledgement.objects.create(version=version, user=people[1], at=london(2026, 7, 1))
    Acknowledgement.objects.create(version=version, user=people[2], at=london(2026, 9, 1))
    TrainingSettings.objects.create(school=school, refresher_months=12)
    recent = TrainingSessionFactory(school=school, held_on=date(2026, 5, 1))
    older = TrainingSessionFactory(school=school, held_on=date(2025, 11, 1))
    ancient = TrainingSessionFactory(school=school, held_on=date(2024, 1, 1))
    TrainingAttendance.objects.create(session=recent, user=people[0])
    TrainingAttendance.objects.create(session=older, user=people[1])
    TrainingAttendance.objects.create(session=ancient, user=people[2])
    p = figures(school).policies
    assert (p["staff"], p["ack_done"], p["ack_rate"]) == (4, 2, 50)
    assert (p["training_up_to_date"], p["training_rate"], p["trained_in_span"]) == (2, 50, 1)


def test_lessons_learnt_actions_and_reviews(school):
    at = london(2026, 5, 5)
    made = concern(school, at=at, lessons_learnt="Phones in bags", status="closed")
    Entry.objects.create(concern=made, kind=Entry.Kind.ACTION, at=at, action_done=True)
    Entry.objects.create(concern=made, kind=Entry.Kind.ACTION, at=at)
    policy = ratified_policy(school)
    ReviewTrigger.objects.create(policy=policy, reason="lessons_learnt", opened_at=at)
    ReviewTrigger.objects.create(
        policy=policy, reason="lessons_learnt", opened_at=at, closed_at=at + 24 * H
    )
    ReviewTrigger.objects.create(policy=policy, reason="technology", opened_at=at)
    f = figures(school)
    assert f.concerns["lessons_learnt"] == 1
    assert (f.lessons["actions"], f.lessons["actions_done"]) == (2, 1)
    assert (f.lessons["reviews_opened"], f.lessons["reviews_done"]) == (2, 1)
    assert f.reviews == {policy.title: (2, 1)}


def test_several_spans_and_schools_at_once_keep_their_figures_apart(school):
    other = school_with_terms()
    concern(school, at=london(2026, 5, 5))
    concern(school, at=london(2026, 2, 5))
    concern(other, at=london(2026, 5, 5))
    concern(other, at=london(2026, 5, 6))
    spans = [summer(school), summer(other)]
    spans.append(span_for_term(term(school, "spring", 2026), terms_of(school)))
    totals = [f.concerns["total"] for f in figures_for(spans)]
    assert totals == [1, 2, 1]


def test_overdue_policy_reviews_are_counted_as_at_today(school):
    ratified_policy(school, ratified_on=date(2025, 6, 1))  # review due 1 June 2026
    ratified_policy(school, ratified_on=date(2026, 6, 1))  # due 1 June 2027
    assert figures(school).policies["overdue_now"] == 1


def test_confiscations_are_counted_by_reason_and_never_show_what_happened(terms, as_user, governor):
    from devices.services import confiscation_record

    for kind, times in (("lesson", 5), ("images", 4)):
        for _ in range(times):
            confiscation_record(
                learner=terms.learner,
                device="Phone",
                reason="Zanzibar-distinctive free text",
                reason_kind=kind,
                by=terms.users["teacher"],
                held_at="Office",
                at=london(2026, 11, 24, 10),  # the views' "today" (tests/reports/conftest.py)
            )
    client = as_user(governor)
    html = client.get("/reports/governors/", {"term": "now"}).content.decode()
    csv_text = client.get("/reports/governors/", {"term": "now", "format": "csv"}).content.decode()
    assert "Confiscations by reason" in html
    rows = {tuple(row[:2]): row[2] for row in csv.reader(io.StringIO(csv_text)) if len(row) > 2}
    table = "Confiscations by reason"
    assert rows[(table, "Used during lessons or school time without permission (§5.3)")] == "5"
    assert rows[(table, "Photos or recordings taken without consent (§5.1)")] == "4"
    assert "Zanzibar" not in html and "Zanzibar" not in csv_text


def test_the_trend_is_counted_with_the_figures_and_as_on_its_own(school):
    """The report's trend (its last terms' concerns) comes from the figures' own query; a
    span that overlaps a figures' span without being one is counted apart, so that no concern
    is lost to the span it shares."""
    terms = terms_of(school)
    for at in [london(2025, 5, 1), london(2025, 10, 1), london(2025, 10, 2), london(2026, 2, 1)]:
        concern(school, at=at)
    for day in (1, 2, 3):
        concern(school, at=london(2026, 5, day))
    concern(school, at=london(2026, 5, 4), status=Concern.Status.WITHDRAWN)  # not counted
    concern(school, at=london(2026, 10, 1))  # after the spans: in none
    spans = [summer(school), span_for_term(term(school, "spring", 2026), terms)]
    trend = [span_for_term(t, terms) for t in terms[:4]]
    overlapping = Span(school.pk, date(2026, 3, 1), date(2026, 5, 1))  # summer's 1 May
    figures, counts = figures_and_trend(spans, [*trend, overlapping], today=date(2026, 11, 24))
    assert counts == [1, 2, 1, 3, 1]
    assert counts == [*concern_trend(trend), *concern_trend([overlapping])]
    assert [f.concerns["total"] for f in figures] == [3, 1]


def test_a_trend_within_the_figures_spans_costs_no_query_of_its_own(school):
    terms = terms_of(school)
    spans = [summer(school), span_for_term(term(school, "spring", 2026), terms)]
    trend = [span_for_term(t, terms) for t in terms[:4]]
    today = date(2026, 11, 24)
    figures_for(spans, today=today)  # with a shared cache, the handovers' counts kept from now
    with CaptureQueriesContext(connection) as alone:
        figures_for(spans, today=today)
    with CaptureQueriesContext(connection) as together:
        figures_and_trend(spans, trend, today=today)
    assert len(together) == len(alone)
    with CaptureQueriesContext(connection) as none:
        assert concern_trend([]) == []
    assert len(none) == 0
