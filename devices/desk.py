"""What the handover desk reads: the search, today's counts and the last entries. Each is a
fixed number of queries, whatever the size of the school."""

from datetime import date, datetime, time, timedelta

from django.db import connections
from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from devices.models import (
    DeskEntry,
    DeviceSettings,
    Handover,
    LearnerExemption,
    ParentContactException,
)
from people.models import Guardianship, Learner

#: Home time when a school has not set its own (DeviceSettings.home_time, Europe/London):
#: from then, held phones are listed first and Enter on a learner whose phone is in checks it
#: out.
HOME_TIME = time(14, 30)
MIN_CHARS = 2
LIMIT = 8
#: How many of the day's last entries the desk shows.
ENTRIES = 10


def home_time(school) -> time:
    """The school's home time (one query)."""
    found = DeviceSettings.objects.filter(school=school).values_list("home_time", flat=True)
    return found.first() or HOME_TIME


def is_home_time(school, now=None) -> bool:
    return timezone.localtime(now).time() >= home_time(school)


def search(
    *,
    school,
    q: str,
    day: date,
    limit: int = LIMIT,
    home_time: bool | None = None,
    shown: bool = True,
) -> list[Learner]:
    """Learners whose name starts with each word typed (first, preferred or last name), or
    whose class or pouch/tag number is the word typed. Each learner carries `today` (today's
    handover or None) and `exemption` (the reason of an exemption in force, a
    LearnerExemption.Reason, or None), both read in the learners' own query; and, when the
    rows are `shown` (not for Enter, which shows none), `collectors` (guardians who may
    collect) and `parent_contact` / `parent_contact_until` (the details and end date of a
    parent-contact exception in force today, or None).

    The learners the desk most likely means come first: before home time those whose phone
    is not in yet, from home time those whose phone is still held."""
    words = q.split()
    if school is None or len(q.strip()) < MIN_CHARS:
        return []
    matches = []
    for word in words:
        match = (
            Q(legal_first_name__istartswith=word)
            | Q(preferred_name__istartswith=word)
            | Q(legal_last_name__istartswith=word)
            | Q(class_name__iexact=word)
        )
        if len(words) == 1:
            match |= Exists(_pouches(school, day).filter(learner=OuterRef("pk"), tag__iexact=word))
        matches.append(match)
    # Today's handover (at most one: the (learner, school_day) unique index) joined, and the
    # exemption in force read beside it: one query instead of one per kind of row. (The
    # desk's busiest query: each expression added costs CPU time to build on every key.)
    exemption = LearnerExemption.objects.filter(
        LearnerExemption.active_q(day), learner=OuterRef("pk")
    ).order_by("-created_at", "-pk")
    learners = Learner.objects.filter(Q(school=school, active=True), *matches).annotate(
        today_handover=FilteredRelation(
            "handovers",
            condition=Q(handovers__school_day=day, handovers__undone_at__isnull=True),
        ),
        **{f"today_{name}": F(f"today_handover__{name}") for name in TODAY_FIELDS},
        exemption_reason=Subquery(exemption.values("reason")[:1]),
    )
    if shown:
        contact = ParentContactException.objects.filter(
            ParentContactException.in_force_q(day), learner=OuterRef("pk")
        ).order_by("-decided_at", "-pk")
        learners = learners.annotate(
            parent_contact=Subquery(contact.values("details")[:1]),
            parent_contact_until=Subquery(contact.values("ends_on")[:1]),
        ).prefetch_related(
            Prefetch(
                "guardianships",
                queryset=Guardianship.objects.filter(may_collect=True)
                .select_related("guardian")
                .order_by("guardian__name"),
                to_attr="collectors",
            ),
        )
    if is_home_time(school) if home_time is None else home_time:
        held = Q(today_id__isnull=False, today_out_at__isnull=True)
        first = ExpressionWrapper(held, output_field=BooleanField()).desc()
    else:
        handed_in = Q(today_id__isnull=False)
        first = ExpressionWrapper(handed_in, output_field=BooleanField()).asc()
    found = list(learners.order_by(first, "legal_last_name", "legal_first_name", "pk")[:limit])
    for learner in found:
        learner.today = _today(learner, day)
        learner.exemption = (
            LearnerExemption.Reason(learner.exemption_reason) if learner.exemption_reason else None
        )
    return found


#: Today's handover's fields the desk reads (the others are left deferred: reading one
#: would cost a query, never give a wrong value).
TODAY_FIELDS = ("id", "tag", "in_at", "out_at")


def _today(learner, day: date) -> Handover | None:
    if learner.today_id is None:
        return None
    names = ["school_id", "learner_id", "school_day", *TODAY_FIELDS]
    values = [learner.school_id, learner.pk, day]
    values += [getattr(learner, f"today_{name}") for name in TODAY_FIELDS]
    return Handover.from_db(Handover.objects.db, names, values)


def _pouches(school, day: date):
    """The handovers whose pouch number the search matches: today's and those of the school's
    previous day of handovers (a pouch number carries over, so the morning's pouches are last
    school day's). Each learner has at most two, read through the (learner, school_day)
    index, instead of every handover ever made with that number."""
    previous = (
        Handover.objects.filter(school=school, school_day__lt=day, undone_at__isnull=True)
        .order_by("-school_day")
        .values("school_day")[:1]
    )
    return Handover.objects.filter(
        school_day__lte=day,
        school_day__gte=Coalesce(Subquery(previous), Value(day)),
        undone_at__isnull=True,
    )


#: Today's counts: COUNT(*) and COUNT(out_at), answered from the index alone
#: (`handover_school_day_held`). In SQL: the desk reads them after every phone moved, and
#: Django's aggregate took 0.4 ms of CPU to build, eight times this.
COUNTS = """
SELECT COUNT(*), COUNT(out_at) FROM devices_handover
WHERE school_id = %s AND school_day = %s AND undone_at IS NULL
"""


def counts(*, school, day: date) -> dict[str, int]:
    with connections[Handover.objects.db].cursor() as cursor:
        cursor.execute(COUNTS, [getattr(school, "pk", school), day])
        handed_in, collected = cursor.fetchone()
    return {"handed_in": handed_in, "collected": collected, "still_held": handed_in - collected}


def last_entries(*, school, day: date, limit: int = ENTRIES) -> list[DeskEntry]:
    # Bounded by time as well as by day: without it, on a quiet morning PostgreSQL walks the
    # `at` index back through years of entries looking for ten of today's.
    start = timezone.make_aware(datetime.combine(day, time.min))
    return list(
        DeskEntry.objects.filter(
            school=school,
            handover__school_day=day,
            at__gte=start,
            at__lt=start + timedelta(days=1, hours=1),
        )
        .select_related("handover__learner", "handover__collected_by")
        .order_by("-at", "-pk")[:limit]
    )


def class_names(*, school) -> list[str]:
    return list(
        Learner.objects.filter(school=school, active=True)
        .order_by("class_name")
        .values_list("class_name", flat=True)
        .distinct()
    )
