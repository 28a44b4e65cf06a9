"""Demo data for the governors' report. The other apps' demo data is all from this term, so
the last completed term (where the report opens) would be empty: this adds a modest,
anonymous history at Anthony Roper Primary School (concerns with their triage, referrals and
closure over the last five terms; a term of phone handovers), the named governor's
commentary on last term, and a trust-level governor ("trustee") for the trust view.
Running it again restores them (people/demo.py)."""

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from devices.models import Absence, DayReconciliation, Handover
from incidents.models import Category, Concern, Entry
from incidents.routing import deadline
from people.calendar import SchoolCalendar, is_working_day
from people.demo import demo_record, demo_user
from people.models import Membership
from reports.figures import span_for_term
from reports.models import Commentary

#: Marks the history records this module made (no detail is kept in them).
HISTORY_WHERE = "Demo history"
HISTORY_TEXT = "Demo history record: no detail is kept in the demo."
#: Concerns per term, oldest first; category keys with weights.
PER_TERM = [9, 12, 10, 14, 17]
CATEGORIES = [
    ("device_misuse", 5),
    ("social_media", 4),
    ("abusive_messages", 3),
    ("visitor_breach", 1),
    ("staff_contact", 1),
    ("staff_breach", 1),
    ("illegal_material", 1),
]


def seed(demo):
    school = demo.school
    calendar = SchoolCalendar(school)
    terms = calendar.terms
    today = calendar.today()
    last = calendar.last_completed_term(today)
    if last is None:
        return
    _history(demo, terms, last, today)
    _handovers(demo, span_for_term(last, terms))
    governor = demo.users.get("governor")
    demo_record(
        Commentary,
        key={"school": school, "term": last},
        seeded={
            "text": "Concerns were triaged quickly this term. The phone desk ran every day; "
            "I will ask about the few phones left uncollected at the next meeting.",
            "updated_by": governor,
        },
    )
    _trustee(demo)


def _history(demo, terms, last, today):
    school = demo.school
    if Concern.objects.filter(school=school, where=HISTORY_WHERE).exists():
        return
    rng = random.Random(7)  # noqa: S311  # nosec B311 - demo data, not security
    index = terms.index(last)
    categories = {c.key: c for c in Category.objects.filter(school=school)}
    keys = [key for key, weight in CATEGORIES for _ in range(weight) if key in categories]
    if not keys:
        return
    reporters = [demo.users[u] for u in ("teacher", "office") if u in demo.users]
    triager = demo.users.get("head")
    past = terms[max(0, index - len(PER_TERM) + 1) : index + 1]
    for term, count in zip(past, PER_TERM[-len(past) :], strict=True):
        span = span_for_term(term, terms)
        days = [
            term.starts_on + timedelta(n)
            for n in range((term.ends_on - term.starts_on).days + 1)
            if is_working_day(term.starts_on + timedelta(n))
        ]
        for _ in range(count):
            day = rng.choice(days)
            at = timezone.make_aware(datetime.combine(day, time(9 + rng.randrange(6))))
            category = categories[rng.choice(keys)]
            concern = Concern(
                school=school,
                category=category,
                reporter=rng.choice(reporters) if reporters else None,
                reported_at=at,
                happened_at=at - timedelta(hours=1),
                what_happened=HISTORY_TEXT,
                where=HISTORY_WHERE,
                is_staff_case=category.is_staff_case,
                is_about_head=category.is_about_head,
                owner=triager,
            )
            concern.deadline = deadline(concern=concern)
            late = rng.random() < 0.15
            allowed = concern.deadline - at
            triage_at = at + (allowed * 1.5 if late else allowed * rng.uniform(0.05, 0.6))
            concern.escalation_level = 1 if late else 0
            # Read and triaged, as a past concern would be.
            concern.read_at, concern.first_read_by = triage_at, triager
            concern.risk_level = rng.choice(["low", "low", "medium", "high"])
            closed = triage_at + timedelta(days=rng.randrange(1, 10))
            if closed.date() <= span.end and closed.date() < today:
                concern.status = Concern.Status.CLOSED
                concern.closed_at = closed
                concern.decision = concern.closure_reason = concern.outcome = HISTORY_TEXT
            else:
                concern.status = Concern.Status.IN_PROGRESS
            concern.save()
            Entry.objects.create(
                concern=concern,
                kind=Entry.Kind.TRIAGE,
                at=triage_at,
                author=triager,
                risk_level=rng.choice(["low", "low", "medium", "high"]),
                text=HISTORY_TEXT,
            )
            for kind in category.required_referrals:
                referred = triage_at + timedelta(minutes=rng.randrange(5, 90))
                Entry.objects.create(
                    concern=concern,
                    kind=Entry.Kind.REFERRAL,
                    at=referred,
                    author=triager,
                    referral=kind,
                    referred_at=referred,
                    text=HISTORY_TEXT,
                )
            if concern.is_closed:
                Entry.objects.create(
                    concern=concern,
                    kind=Entry.Kind.CLOSURE,
                    at=concern.closed_at,
                    author=triager,
                    text=HISTORY_TEXT,
                )


def _handovers(demo, span):
    """A term of phone handovers: on each school day most learners hand a phone in; of the
    rest, about half were away and marked absent by the office at the end of the day (the
    evidence pack does not expect their phone), the others forgot or kept it. Only last term:
    this term the desk's own records start today."""
    school = demo.school
    office = demo.users.get("office")
    if office is None:
        return
    last = span.term_end
    if Handover.objects.filter(school=school, school_day__range=(span.start, last)).exists():
        return
    rng = random.Random(11 + span.start.toordinal())  # noqa: S311  # nosec B311 - demo data
    learners = list(
        school.learners.filter(active=True).order_by("upn").values_list("pk", flat=True)
    )
    day, rows, reconciliations, absences = span.term_start, [], [], []
    while day <= last:
        if is_working_day(day):
            rate = rng.uniform(0.86, 0.97)
            eight_thirty = timezone.make_aware(datetime.combine(day, time(8, 30)))
            handing = [pk for pk in learners if rng.random() < rate]
            # About half of those who hand nothing in were away, and the office said so.
            absences += [
                Absence(school=school, learner_id=pk, school_day=day, recorded_by=office)
                for pk in sorted(set(learners) - set(handing))
                if rng.random() < 0.5
            ]
            for i, learner in enumerate(handing):
                in_at = eight_thirty + timedelta(seconds=4 * i)
                kept = rng.random() < 0.0005
                rows.append(
                    Handover(
                        school=school,
                        learner_id=learner,
                        school_day=day,
                        in_at=in_at,
                        received_by=office,
                        out_at=None if kept else in_at + timedelta(hours=7),
                        handed_back_by=None if kept else office,
                        collected_by_learner=not kept,
                        held_note="Collected by a parent the next morning" if kept else "",
                    )
                )
            if rng.random() < 0.9:
                reconciliations.append(
                    DayReconciliation(school=school, school_day=day, reconciled_by=office)
                )
        day += timedelta(days=1)
    Handover.objects.bulk_create(rows, batch_size=2000)
    DayReconciliation.objects.bulk_create(reconciliations)
    Absence.objects.bulk_create(absences, batch_size=2000)


def _trustee(demo):
    """A governor of the whole trust: opens every school's report and the trust view."""
    user = demo_user("trustee", "Pat", "Okafor")
    demo_record(Membership, key={"user": user, "trust": demo.trust}, seeded={"roles": ["governor"]})
    demo.users["trustee"] = user
