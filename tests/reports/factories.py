"""Hand-built records for the governors' report, with exact times (London) so that every
figure has a known answer."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from devices.models import (
    Confiscation,
    CurriculumUseRequest,
    CustodyState,
    DayReconciliation,
    Handover,
    StaffException,
)
from incidents.models import Category, Concern, Entry
from incidents.routing import categories_seed
from people.models import Term
from tests.factories import LearnerFactory, MembershipFactory, SchoolFactory, UserFactory

#: Summer 2026 is the term under test; its span starts the day after spring ends (28 March).
TERMS = [
    ("summer", date(2025, 4, 22), date(2025, 7, 22)),
    ("autumn", date(2025, 9, 3), date(2025, 12, 19)),
    ("spring", date(2026, 1, 5), date(2026, 3, 27)),
    ("summer", date(2026, 4, 13), date(2026, 7, 21)),
    ("autumn", date(2026, 9, 2), date(2026, 12, 18)),
]


def london(y, m, d, hh=12, mm=0) -> datetime:
    return timezone.make_aware(datetime(y, m, d, hh, mm))


def school_with_terms(**kwargs):
    school = SchoolFactory(**kwargs)
    for season, start, end in TERMS:
        Term.objects.create(school=school, season=season, starts_on=start, ends_on=end)
    categories_seed(school=school)
    return school


def terms_of(school):
    return list(Term.objects.filter(school=school).order_by("starts_on"))


def term(school, season, year):
    return Term.objects.get(school=school, season=season, starts_on__year=year)


def concern(
    school,
    key="social_media",
    at=None,
    *,
    triage_after: timedelta | None = None,
    deadline_after=timedelta(days=1),
    text="Nothing identifying",
    **fields,
) -> Concern:
    """A concern of category `key` reported `at`, with a deadline `deadline_after` later and
    a triage entry `triage_after` later (none if None)."""
    at = at or timezone.now()
    category = Category.objects.get(school=school, key=key)
    made = Concern.objects.create(
        school=school,
        category=category,
        reported_at=at,
        happened_at=at - timedelta(hours=1),
        what_happened=text,
        where="Playground",
        deadline=at + deadline_after,
        is_staff_case=category.is_staff_case,
        is_about_head=category.is_about_head,
        **fields,
    )
    if triage_after is not None:
        Entry.objects.create(
            concern=made, kind=Entry.Kind.TRIAGE, at=at + triage_after, risk_level="low"
        )
    return made


def referral(concern_, kind, after: timedelta, **fields):
    return Entry.objects.create(
        concern=concern_,
        kind=Entry.Kind.REFERRAL,
        referral=kind,
        at=concern_.reported_at + after,
        referred_at=concern_.reported_at + after,
        **fields,
    )


def handovers(school, day: date, n: int, *, uncollected=0, by=None):
    by = by or UserFactory()
    rows = []
    for i in range(n):
        learner = LearnerFactory(school=school)
        in_at = timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(
            hours=8, minutes=i
        )
        rows.append(
            Handover.objects.create(
                school=school,
                learner=learner,
                school_day=day,
                in_at=in_at,
                received_by=by,
                out_at=None if i < uncollected else in_at + timedelta(hours=7),
                collected_by_learner=i >= uncollected,
            )
        )
    return rows


def reconciled(school, day, by=None):
    return DayReconciliation.objects.create(
        school=school, school_day=day, reconciled_by=by or UserFactory()
    )


def confiscation(school, at, state=CustodyState.SECURED, reason="Filming"):
    return Confiscation.objects.create(
        school=school,
        learner=LearnerFactory(school=school),
        device="Phone",
        reason=reason,
        confiscated_by=UserFactory(),
        confiscated_at=at,
        held_at="Office safe",
        state=state,
    )


def staff_exception(school, decided_at, status="approved", kind="device"):
    return StaffException.objects.create(
        school=school,
        requested_by=UserFactory(),
        kind=kind,
        details="Details",
        status=status,
        decided_by=UserFactory(),
        decided_at=decided_at,
    )


def curriculum_request(school, decided_at, status="approved"):
    return CurriculumUseRequest.objects.create(
        school=school,
        requested_by=UserFactory(),
        activity="Photography",
        date=decided_at.date(),
        class_name="Oak",
        risks="Risks",
        controls="Controls",
        status=status,
        decided_by=UserFactory(),
        decided_at=decided_at,
    )


def staff(school, n, roles=("staff",)):
    return [MembershipFactory(school=school, roles=list(roles)).user for _ in range(n)]
