"""What the handover desk reads: the search, today's counts and the last entries. Each is a
fixed number of queries, whatever the size of the school."""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Value
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


def home_time(school) -> time:
    """The school's home time (one query)."""
    found = DeviceSettings.objects.filter(school=school).values_list("home_time", flat=True)
    return found.first() or HOME_TIME


def is_home_time(school, now=None) -> bool:
    return timezone.localtime(now).time() >= home_time(school)


def search(
    *, school, q: str, day: date, limit: int = LIMIT, home_time: bool | None = None
) -> list[Learner]:
    """Learners whose name starts with each word typed (first, preferred or last name), or
    whose class or pouch/tag number is the word typed. Each learner carries `today` (today's
    handover or None), `exemption` (an exemption in force or None), `collectors` (guardians
    who may collect) and `parent_contact` / `parent_contact_until` (the details and end date
    of a parent-contact exception in force today, or None: read in the learners' own query).

    The learners the desk most likely means come first: before home time those whose phone
    is not in yet, from home time those whose phone is still held."""
    words = q.split()
    if school is None or len(q.strip()) < MIN_CHARS:
        return []
    learners = Learner.objects.filter(school=school, active=True)
    for word in words:
        match = (
            Q(legal_first_name__istartswith=word)
            | Q(preferred_name__istartswith=word)
            | Q(legal_last_name__istartswith=word)
            | Q(class_name__iexact=word)
        )
        if len(words) == 1:
            match |= Exists(_pouches(school, day).filter(learner=OuterRef("pk"), tag__iexact=word))
        learners = learners.filter(match)
    contact = ParentContactException.objects.filter(
        ParentContactException.in_force_q(day), learner=OuterRef("pk")
    ).order_by("-decided_at", "-pk")
    learners = learners.annotate(
        parent_contact=Subquery(contact.values("details")[:1]),
        parent_contact_until=Subquery(contact.values("ends_on")[:1]),
    ).prefetch_related(
        Prefetch(
            "handovers",
            queryset=Handover.objects.filter(school_day=day, undone_at__isnull=True),
            to_attr="today_handovers",
        ),
        Prefetch(
            "device_exemptions",
            queryset=LearnerExemption.objects.filter(LearnerExemption.active_q(day)),
            to_attr="exemptions",
        ),
        Prefetch(
            "guardianships",
            queryset=Guardianship.objects.filter(may_collect=True)
            .select_related("guardian")
            .order_by("guardian__name"),
            to_attr="collectors",
        ),
    )
    today = Handover.objects.filter(learner=OuterRef("pk"), school_day=day, undone_at__isnull=True)
    if is_home_time(school) if home_time is None else home_time:
        first = Exists(today.filter(out_at__isnull=True)).desc()
    else:
        first = Exists(today).asc()
    found = list(learners.order_by(first, "legal_last_name", "legal_first_name", "pk")[:limit])
    for learner in found:
        learner.today = learner.today_handovers[0] if learner.today_handovers else None
        learner.exemption = learner.exemptions[0] if learner.exemptions else None
    return found


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


def carried_tag(learner) -> str:
    """The pouch number a check-in without one carries over: the learner's last handover's.
    Each check-in carries it forward, so the last handover has it; one row read backwards
    through the (learner, school_day) index, however long the learner's history (looking
    for the last non-empty tag read all of it for a learner who never had one)."""
    return (
        Handover.objects.filter(learner=learner, undone_at__isnull=True)
        .order_by("-school_day")
        .values_list("tag", flat=True)
        .first()
        or ""
    )


def counts(*, school, day: date) -> dict[str, int]:
    row = Handover.objects.filter(school=school, school_day=day, undone_at__isnull=True).aggregate(
        # COUNT(*) and COUNT(out_at): answered from the index alone.
        handed_in=Count("*"),
        collected=Count("out_at"),
    )
    row["still_held"] = row["handed_in"] - row["collected"]
    return row


def last_entries(*, school, day: date, limit: int = 10) -> list[DeskEntry]:
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
