"""What the handover desk reads: the search, today's counts and the last entries. Each is a
fixed number of queries, whatever the size of the school."""

from datetime import UTC, date, datetime, time, timedelta

from django.db import connections
from django.db.models import (
    Prefetch,
    prefetch_related_objects,
)
from django.utils import timezone

from devices.models import (
    Decision,
    DeskEntry,
    DeviceSettings,
    Handover,
    LearnerExemption,
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


#: The desk search in one statement (SEARCH_SQL.format(words=…, shown=…)). Built with
#: Django's expressions (a FilteredRelation, three subqueries, an Exists per word) the query
#: cost ~4 ms of CPU to build on every key typed, more than PostgreSQL took to answer it; the
#: desk sends two for each learner at the morning rush. Its rules are the models' (the
#: exemption in force: `LearnerExemption.active_q`; the parent-contact exception:
#: `ParentContactException.in_force_q`): tests/devices/test_desk_sql.py compares it with
#: them, and with the search as the ORM wrote it. Both PostgreSQL and SQLite read it.
SEARCH_SQL = """
WITH home AS ({home})
SELECT l.*, h.id AS today_id, h.tag AS today_tag, h.in_at AS today_in_at,
    h.out_at AS today_out_at, home.at_home AS at_home,
    (SELECT e.reason FROM devices_learnerexemption e
     WHERE e.learner_id = l.id AND e.status = %s AND e.review_on >= %s
       AND (e.starts_on IS NULL OR e.starts_on <= %s)
     ORDER BY e.created_at DESC, e.id DESC LIMIT 1) AS exemption_reason{shown}
FROM people_learner l
CROSS JOIN home
LEFT JOIN devices_handover h
    ON h.learner_id = l.id AND h.school_day = %s AND h.undone_at IS NULL
WHERE l.school_id = %s AND l.active{words}
ORDER BY
    CASE WHEN home.at_home THEN (CASE WHEN h.id IS NOT NULL AND h.out_at IS NULL THEN 0 ELSE 1 END)
         ELSE (CASE WHEN h.id IS NULL THEN 0 ELSE 1 END) END,
    l.legal_last_name, l.legal_first_name, l.id
LIMIT %s
"""
#: Whether it is home time: the time now against the school's home time (or Roper's).
HOME_SQL = """
    SELECT %s >= COALESCE(
        (SELECT home_time FROM devices_devicesettings WHERE school_id = %s ORDER BY id LIMIT 1),
        %s
    ) AS at_home"""
#: ... or as the caller says.
HOME_GIVEN_SQL = "SELECT %s = 1 AS at_home"
#: The parent-contact exception in force today (its details and end), for rows shown.
SHOWN_SQL = """,
    (SELECT c.details FROM devices_parentcontactexception c
     WHERE c.learner_id = l.id AND c.status = %s
       AND (c.starts_on IS NULL OR c.starts_on <= %s) AND (c.ends_on IS NULL OR c.ends_on >= %s)
     ORDER BY c.decided_at DESC, c.id DESC LIMIT 1) AS parent_contact,
    (SELECT c.ends_on FROM devices_parentcontactexception c
     WHERE c.learner_id = l.id AND c.status = %s
       AND (c.starts_on IS NULL OR c.starts_on <= %s) AND (c.ends_on IS NULL OR c.ends_on >= %s)
     ORDER BY c.decided_at DESC, c.id DESC LIMIT 1) AS parent_contact_until"""
#: A word typed: the start of a name, or the class.
WORD_SQL = """
  AND (UPPER(l.legal_first_name) LIKE UPPER(%s) ESCAPE '\\'
       OR UPPER(l.preferred_name) LIKE UPPER(%s) ESCAPE '\\'
       OR UPPER(l.legal_last_name) LIKE UPPER(%s) ESCAPE '\\'
       OR UPPER(l.class_name) = UPPER(%s){pouch})"""
#: ... or, when one word is typed, a pouch number: today's, or the previous day of handovers'.
POUCH_SQL = """
       OR EXISTS (SELECT 1 FROM devices_handover p
                  WHERE p.learner_id = l.id AND p.undone_at IS NULL AND UPPER(p.tag) = UPPER(%s)
                    AND p.school_day <= %s
                    AND p.school_day >= COALESCE(
                        (SELECT MAX(q.school_day) FROM devices_handover q
                         WHERE q.school_id = %s AND q.school_day < %s AND q.undone_at IS NULL),
                        %s))"""


def _like_prefix(word: str) -> str:
    """`word` as the start of a LIKE pattern (Django's own escaping for `istartswith`)."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


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
    handover or None), `exemption` (the reason of an exemption in force, a
    LearnerExemption.Reason, or None) and `at_home` (whether it is the school's home time);
    and, when the rows are `shown` (not for Enter, which shows none), `collectors` (guardians
    who may collect: read only when a phone is held) and `parent_contact` /
    `parent_contact_until` (the details and end date of a parent-contact exception in force
    today, or None). One query (two when a phone listed is held and the rows are shown).

    The learners the desk most likely means come first: before home time those whose phone
    is not in yet, from home time those whose phone is still held (`home_time`: whether it
    is; None: the school's home time and the time now decide, in the same query)."""
    words = q.split()
    if school is None or len(q.strip()) < MIN_CHARS:
        return []
    school_id = getattr(school, "pk", school)
    if home_time is None:
        now = timezone.localtime().time().replace(microsecond=0)
        params: list = [now.isoformat(), school_id, HOME_TIME.isoformat()]
    else:
        params = [1 if home_time else 0]
    params += [Decision.APPROVED, day, day]
    if shown:
        params += [Decision.APPROVED, day, day] * 2
    params += [day, school_id]
    conditions = []
    for word in words:
        prefix = _like_prefix(word)
        params += [prefix, prefix, prefix, word]
        pouch = ""
        if len(words) == 1:
            pouch = POUCH_SQL
            params += [word, day, school_id, day, day]
        conditions.append(WORD_SQL.format(pouch=pouch))
    params.append(limit)
    sql = SEARCH_SQL.format(
        home=HOME_SQL if home_time is None else HOME_GIVEN_SQL,
        shown=SHOWN_SQL if shown else "",
        words="".join(conditions),
    )
    found = list(Learner.objects.raw(sql, params))
    for learner in found:
        learner.today = _today(learner, day)
        learner.exemption = (
            LearnerExemption.Reason(learner.exemption_reason) if learner.exemption_reason else None
        )
        learner.at_home = bool(learner.at_home)
        if not shown:
            continue
        learner.parent_contact_until = _as_date(learner.parent_contact_until)
    held = [lr for lr in found if shown and lr.today is not None and lr.today.out_at is None]
    for learner in found:
        if shown and learner not in held:
            learner.collectors = []  # (set only where not read: a prefetch skips a set one)
    if held:
        prefetch_related_objects(
            held,
            Prefetch(
                "guardianships",
                queryset=Guardianship.objects.filter(may_collect=True)
                .select_related("guardian")
                .order_by("guardian__name"),
                to_attr="collectors",
            ),
        )
    return found


def _as_date(value):
    """A date column read by a raw query: SQLite gives its text."""
    return date.fromisoformat(value) if isinstance(value, str) else value


#: Today's handover's fields the desk reads (the others are left deferred: reading one
#: would cost a query, never give a wrong value).
TODAY_FIELDS = ("id", "tag", "in_at", "out_at")


def _today(learner, day: date) -> Handover | None:
    if learner.today_id is None:
        return None
    known = {"school_id": learner.school_id, "learner_id": learner.pk, "school_day": day}
    known |= {name: _as_datetime(getattr(learner, f"today_{name}")) for name in TODAY_FIELDS}
    # `from_db` reads the values in the order of the model's fields, whatever the names' order.
    names = [f.attname for f in Handover._meta.concrete_fields if f.attname in known]
    return Handover.from_db(Handover.objects.db, names, [known[name] for name in names])


def _as_datetime(value):
    """A timestamp column read by a raw query: SQLite gives it naive (in UTC)."""
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value


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
