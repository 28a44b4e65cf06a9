"""The demo's breaches (seed_demo): three terms of them at Anthony Roper Primary School (the
term before last, the last completed term, where the evidence pack opens, and this term so
far), so the breaches list, the evidence pack and the trend have something to show.

Learners of Years 4 to 6 (Hazel, Oak, Willow), a few of them often, most once or twice, on the
term's school days, in every place and part of the day. Each breach is recorded by the real
service (`breach_record`), in time order, so its step is the ladder's; two carry another step
with the reason. A breach whose step keeps the phone until a parent collects it has its
confiscation (recorded with the breach, or first and then linked), secured at the office and
released to a parent or carer on file at home time; the notices to parents (email; a letter
for the families with no email address on file; none for one whose parents are not to be
contacted) are dated when it happened and shown as emailed, one as failed. Two searches: one
found the phone, one found nothing.

Deterministic (a seeded random) and seeded once: when the demo school has breaches, running
the seed again changes nothing (breaches and custody are never rewound)."""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from conduct.models import Breach, ParentNotice
from conduct.notices import MAX_ATTEMPTS
from conduct.services import breach_record, ladder_seed
from devices.models import CustodyState, Search, SearchConsent
from devices.services import confiscation_move, confiscation_record, search_record
from people.calendar import SchoolCalendar
from people.models import Guardian, Guardianship, Learner

#: Breaches in the term before last, last term and a whole current term (scaled to the part
#: of it already over): fewer each term, as the policy beds in.
PER_TERM = (34, 28, 24)
CLASSES = ("Hazel", "Oak", "Willow")
#: Part of the day -> (weight, [(from, to) of the moment], [places, most likely first]).
PERIODS = {
    "before": (3, [(time(8, 25), time(8, 50))], ["gate", "corridor", "playground"]),
    "lesson": (
        6,
        [(time(9, 0), time(10, 25)), (time(11, 0), time(12, 0)), (time(13, 15), time(15, 0))],
        ["classroom", "classroom", "classroom", "corridor", "toilets"],
    ),
    "break": (4, [(time(10, 30), time(10, 50))], ["playground", "toilets", "corridor"]),
    "lunch": (4, [(time(12, 0), time(13, 10))], ["dining", "playground", "toilets", "other"]),
    "after": (2, [(time(15, 15), time(15, 45))], ["gate", "corridor"]),
}
LESSONS = ["maths", "English", "science", "history", "PE", "music", "computing"]
WHAT_NEXT = {
    1: "Handed to the office; returned at the end of the day.",
    2: "Taken to the office; kept until a parent or carer collects it.",
    3: "Taken to the office; the parents were asked in for a meeting.",
}
LOWERED = (
    "Called home about a family emergency; the head agreed the phone goes back at the end of "
    "the day."
)
RAISED = (
    "Filming in the toilets: the head asked for a parent to collect the phone and to talk "
    "about it, whatever the number of breaches."
)
DEVICES = ["Black iPhone", "Blue Samsung phone", "White iPhone SE", "Green Motorola phone"]


@dataclass
class Planned:
    at: datetime
    learner: Learner
    kind: str
    period: str
    place: str
    term: int


def _days(calendar: SchoolCalendar, term, today: date) -> list[date]:
    """The term's school days before today."""
    end = min(term.ends_on, today - timedelta(days=1))
    span = (end - term.starts_on).days + 1
    days = [term.starts_on + timedelta(n) for n in range(max(span, 0))]
    return [d for d in days if calendar.is_school_day(d)]


def _moment(rng, day, period) -> datetime:
    start, end = rng.choice(PERIODS[period][1])
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    at = datetime.combine(day, start) + timedelta(minutes=rng.randrange(minutes))
    return timezone.make_aware(at)


def _plan(rng, terms, calendar, today, pool, weights) -> list[Planned]:
    planned = []
    periods = list(PERIODS)
    for index, (term, count) in enumerate(zip(terms, PER_TERM[-len(terms) :], strict=True)):
        days = _days(calendar, term, today)
        if not days:
            continue
        whole = _days(calendar, term, term.ends_on + timedelta(days=1))
        count = max(1, round(count * len(days) / len(whole)))
        for _ in range(count):
            period = rng.choices(periods, [PERIODS[p][0] for p in periods])[0]
            planned.append(
                Planned(
                    at=_moment(rng, rng.choice(days), period),
                    learner=rng.choices(pool, weights)[0],
                    kind=rng.choice(["seen", "used"]),
                    period=period,
                    place=rng.choice(PERIODS[period][2]),
                    term=index,
                )
            )
    return sorted(planned, key=lambda p: p.at)


class _Notices:
    """Dates the notices an event made when it happened, and shows their emails as sent (one
    as failed, so the demo shows what staff then see)."""

    def __init__(self):
        self.last = ParentNotice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.failed = False

    def date(self, at: datetime):
        made = ParentNotice.objects.filter(pk__gt=self.last)
        pks = list(made.values_list("pk", flat=True))
        if not pks:
            return
        self.last = max(pks)
        made = ParentNotice.objects.filter(pk__in=pks)
        made.update(created_at=at)
        emails = made.filter(channel=ParentNotice.Channel.EMAIL)
        first = emails.order_by("pk").values_list("pk", flat=True).first()
        if not self.failed and first:
            # One parent's address no longer works (the other parent's email went).
            self.failed = True
            emails.filter(pk=first).update(
                email_attempts=MAX_ATTEMPTS,
                email_error="550 5.1.1 Mailbox unavailable: the address is no longer in use",
            )
            emails = emails.exclude(pk=first)
        emails.update(emailed_at=at + timedelta(minutes=2), email_attempts=1)


def _families(pool):
    """Two families with no email address on file (they are sent letters) and one whose
    parents are not to be sent the school's notices (staff are told to ask the DSL)."""
    letters, withheld = [pool[1], pool[4]], pool[5]
    Guardian.objects.filter(guardianships__learner__in=letters).exclude(email="").update(email="")
    Guardianship.objects.filter(learner=withheld, notices=True).update(notices=False)


def seed(demo):
    school = demo.school
    if Breach.objects.filter(school=school).exists():
        return
    calendar = SchoolCalendar(school)
    today = SchoolCalendar.today()
    current = calendar.current_term(today)
    done = [t for t in calendar.terms if t.ends_on < today]
    terms = done[-2:] + ([current] if current else [])
    if not terms:
        return
    rng = random.Random(18)  # noqa: S311  # nosec B311 - demo data, not security
    learners = list(
        Learner.objects.filter(school=school, class_name__in=CLASSES, active=True)
        .exclude(device_exemptions__isnull=False)
        .order_by("upn")
    )
    pool = rng.sample(learners, min(36, len(learners)))
    # A few learners breach often, most once or twice.
    weights = [7 if i < 6 else 2 if i < 16 else 1 for i in range(len(pool))]
    _families(pool)
    steps = {s.position: s for s in ladder_seed(school=school)}
    top = max(steps)
    teacher, office, head = demo.users["teacher"], demo.users["office"], demo.users["head"]
    seen_by = [teacher, teacher, demo.users["deputy"], head]
    notices = _Notices()
    counts: dict = {}
    lowered = raised = False
    searched_found = searched_nothing = False
    for n, p in enumerate(_plan(rng, terms, calendar, today, pool, weights)):
        key = (p.learner.pk, p.term)
        counts[key] = counts.get(key, 0) + 1
        position = min(counts[key], top)
        applied, reason = position, ""
        if not lowered and p.term == len(terms) - 2 and position == 2:
            applied, reason, lowered = 1, LOWERED, True
        elif not raised and p.term == len(terms) - 1 and position == 1:
            applied, reason, raised = 2, RAISED, True
            p.kind, p.place, p.period = "used", "toilets", "break"
        confiscation, confiscate = None, None
        if applied >= 2:
            device = rng.choice(DEVICES)
            if n % 3 == 0:
                # Taken first, the breach recorded afterwards with the phone linked.
                confiscation = confiscation_record(
                    learner=p.learner,
                    device=device,
                    reason=f"Phone {p.kind} in the {p.place} ({p.period}).",
                    reason_kind="lesson",
                    by=teacher,
                    held_at="Class teacher's drawer",
                    at=p.at,
                )
                notices.date(p.at)
                if not searched_found and applied == top:
                    searched_found = True
                    _search(demo, p, confiscation)
            else:
                confiscate = {"device": device, "held_at": "Class teacher's drawer"}
        elif not searched_nothing and p.term == len(terms) - 2 and position == 1:
            searched_nothing = True
            _search(demo, p, None)
        breach = breach_record(
            learner=p.learner,
            by=teacher,
            seen_by=seen_by[n % len(seen_by)],
            kind=p.kind,
            at=p.at + timedelta(minutes=3),
            period=p.period,
            place=p.place,
            lesson=f"Year {p.learner.year_group} {rng.choice(LESSONS)}"
            if p.period == "lesson"
            else "",
            what_next=WHAT_NEXT.get(applied, WHAT_NEXT[top]),
            confiscation=confiscation,
            confiscate=confiscate,
            applied_position=applied,
            override_reason=reason,
        )
        notices.date(breach.at)
        if breach.confiscation_id:
            _custody(breach, office, notices)


def _custody(breach, office, notices):
    """Secured at the office within the hour; collected by a parent or carer at home time."""
    confiscation = breach.confiscation
    secured = breach.at + timedelta(minutes=25)
    confiscation_move(
        confiscation=confiscation,
        to_state=CustodyState.SECURED,
        by=office,
        location="Office safe",
        at=secured,
    )
    notices.date(secured)
    collected = timezone.make_aware(
        datetime.combine(SchoolCalendar.day_of(breach.at), time(15, 35))
    )
    collector = (
        Guardianship.objects.filter(learner_id=breach.learner_id, may_collect=True)
        .order_by("pk")
        .first()
    )
    confiscation_move(
        confiscation=confiscation,
        to_state=CustodyState.RELEASED,
        by=office,
        guardian=collector.guardian,
        id_checked=True,
        at=max(collected, secured + timedelta(minutes=5)),
    )


def _search(demo, planned, confiscation):
    """The teacher (authorised by the head) searched the pupil's bag, the deputy witnessing:
    one found the phone (then confiscated), the other found nothing."""
    found = confiscation is not None
    search_record(
        search=Search(
            school=demo.school,
            learner=planned.learner,
            searched_at=planned.at - timedelta(minutes=4),
            place="The head's office, with the pupil present",
            grounds="Seen with a phone at break after handing one in at the desk that morning."
            if found
            else "Two pupils said the pupil kept a second phone in the bag.",
            consent=SearchConsent.AGREED,
            searched_bag=True,
            searched_locker=not found,
            searched_by=demo.users["teacher"],
            witness=demo.users["deputy"],
            witness_same_sex=True,
            anything_found=found,
            found=f"{confiscation.device} in the bag's inside pocket." if found else "",
            confiscation=confiscation,
            parents_informed_at=planned.at + timedelta(hours=2),
            parents_informed_how="Phone call to the mother",
            dsl_informed_at=planned.at + timedelta(minutes=30),
            recorded_by=demo.users["teacher"],
        )
    )
