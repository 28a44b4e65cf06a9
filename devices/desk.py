"""What the handover desk reads: the search, today's counts and the last entries. Each is a
fixed number of queries, whatever the size of the school."""

from datetime import date, datetime, time, timedelta

from django.db import connections
from django.db.models import (
    Prefetch,
    prefetch_related_objects,
)
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from devices.models import (
    Decision,
    DeskEntry,
    DeviceSettings,
    Handover,
    LearnerExemption,
)
from people.models import Guardianship, Learner
from roper import sql
from roper.dates import as_datetime, formatters
from roper.links import url_maker

#: Home time when a school has not set its own (DeviceSettings.home_time, Europe/London):
#: from then, held phones are listed first and Enter on a learner whose phone is in checks it
#: out.
HOME_TIME = time(14, 30)
MIN_CHARS = 2
LIMIT = 8
#: The roster's limit: the school's whole roll.
EVERYONE = 1_000_000
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
ORDER BY {order}l.legal_last_name, l.legal_first_name, l.id
LIMIT %s
"""
#: The learners the desk most likely means first (`search`).
LIKELY_SQL = """
    CASE WHEN home.at_home THEN (CASE WHEN h.id IS NOT NULL AND h.out_at IS NULL THEN 0 ELSE 1 END)
         ELSE (CASE WHEN h.id IS NULL THEN 0 ELSE 1 END) END,
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


#: On PostgreSQL, each word typed is the learners it finds, read by index: a name from the
#: word (in upper case) up to the word followed by the last character Unicode has, and that
#: starts with it (the range is what an index can use in a prepared statement's one plan,
#: where a LIKE whose pattern is a parameter reads every learner of the school), or the
#: class; with one word, the learners whose pouch number it is. The same rules as WORD_SQL
#: and POUCH_SQL (tests/devices/test_desk_sql.py holds both to the models').
PG_WORD_SQL = """
  AND l.id = ANY(ARRAY(
      {names}
      UNION ALL
      SELECT n.id FROM people_learner n WHERE n.school_id = %s AND UPPER(n.class_name) = UPPER(%s)
      {pouch}))"""
PG_NAME_SQL = """SELECT n.id FROM people_learner n WHERE n.school_id = %s
        AND UPPER(n.{column}) ~>=~ UPPER(%s) AND UPPER(n.{column}) ~<~ (UPPER(%s) || chr(1114111))
        AND starts_with(UPPER(n.{column}), UPPER(%s))"""
PG_POUCH_SQL = """UNION ALL
      SELECT p.learner_id FROM devices_handover p
      WHERE p.undone_at IS NULL AND UPPER(p.tag) = UPPER(%s) AND p.school_day <= %s
        AND p.school_day >= COALESCE(
            (SELECT MAX(q.school_day) FROM devices_handover q
             WHERE q.school_id = %s AND q.school_day < %s AND q.undone_at IS NULL),
            %s)"""
NAMES = ("legal_first_name", "preferred_name", "legal_last_name")
#: Searches of up to this many words are prepared (one statement per shape: words, rows
#: shown or not, home time given or not); longer ones, rare, are sent as written.
PREPARED_WORDS = 3
_PREPARED: dict[tuple, sql.Prepared] = {}


def _prepared(shape: tuple, statement: str, types: list[str]) -> sql.Prepared:
    """The search's prepared statement of this shape (made once per process)."""
    if shape not in _PREPARED:
        name = "desk_search_" + "_".join(str(int(part)) for part in shape)
        _PREPARED[shape] = sql.Prepared(name, statement, tuple(types))
    return _PREPARED[shape]


def _like_prefix(word: str) -> str:
    """`word` as the start of a LIKE pattern (Django's own escaping for `istartswith`)."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_statement(
    *, school_id, words: list[str], day: date, limit: int, home_time: bool | None, shown: bool
) -> tuple[str, list]:
    """`search`'s statement and its parameters: on PostgreSQL, a prepared statement's
    EXECUTE (prepared on this connection if it is not yet) for up to PREPARED_WORDS words;
    elsewhere, or with more words, the statement itself."""
    # Each parameter with its PostgreSQL type (for the prepared statement).
    if home_time is None:
        now = timezone.localtime().time().replace(microsecond=0)
        params: list = [now.isoformat(), school_id, HOME_TIME.isoformat()]
        types = ["time", "bigint", "time"]
    else:
        params, types = [1 if home_time else 0], ["integer"]
    params += [Decision.APPROVED, day, day]
    types += ["text", "date", "date"]
    if shown:
        params += [Decision.APPROVED, day, day] * 2
        types += ["text", "date", "date"] * 2
    params += [day, school_id]
    types += ["date", "bigint"]
    connection = connections[Learner.objects.db]
    prepared = (
        connection.vendor == "postgresql"
        and len(words) <= PREPARED_WORDS
        and sql.server_encoding(connection) == "UTF8"  # (chr(1114111): PG_NAME_SQL)
    )
    conditions = []
    for word in words:
        pouch = ""
        if prepared:
            names = "\n      UNION ALL\n      ".join(PG_NAME_SQL.format(column=c) for c in NAMES)
            params += [school_id, word, word, word] * len(NAMES) + [school_id, word]
            types += ["bigint", "text", "text", "text"] * len(NAMES) + ["bigint", "text"]
            if len(words) == 1:
                pouch = PG_POUCH_SQL
                params += [word, day, school_id, day, day]
                types += ["text", "date", "bigint", "date", "date"]
            conditions.append(PG_WORD_SQL.format(names=names, pouch=pouch))
            continue
        prefix = _like_prefix(word)
        params += [prefix, prefix, prefix, word]
        if len(words) == 1:
            pouch = POUCH_SQL
            params += [word, day, school_id, day, day]
        conditions.append(WORD_SQL.format(pouch=pouch))
    params.append(limit)
    types.append("bigint")
    statement = SEARCH_SQL.format(
        order=LIKELY_SQL,
        home=HOME_SQL if home_time is None else HOME_GIVEN_SQL,
        shown=SHOWN_SQL if shown else "",
        words="".join(conditions),
    )
    if prepared:
        shape = (len(words), shown, home_time is None)
        statement = _prepared(shape, statement, types).sql(connection)
    return statement, params


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
    today, or None). One query (two when a phone listed is held and the rows are shown; on
    PostgreSQL, a prepared statement: `search_statement`).

    The learners the desk most likely means come first: before home time those whose phone
    is not in yet, from home time those whose phone is still held (`home_time`: whether it
    is; None: the school's home time and the time now decide, in the same query)."""
    words = q.split()
    if school is None or len(q.strip()) < MIN_CHARS:
        return []
    statement, params = search_statement(
        school_id=getattr(school, "pk", school),
        words=words,
        day=day,
        limit=limit,
        home_time=home_time,
        shown=shown,
    )
    found = list(Learner.objects.raw(statement, params))
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
                .order_by("guardian__name", "pk"),
                to_attr="collectors",
            ),
        )
    return found


#: The pouch numbers of the previous day of handovers (today's are read with the learners).
PREVIOUS_TAGS = """
SELECT learner_id, tag FROM devices_handover
WHERE school_id = %s AND undone_at IS NULL AND tag <> '' AND school_day = (
    SELECT MAX(q.school_day) FROM devices_handover q
    WHERE q.school_id = %s AND q.school_day < %s AND q.undone_at IS NULL)
"""


def roster(*, school, day: date) -> dict:
    """The day's roster, for the desk page to search in the browser at the morning rush (one
    request a learner instead of one a key typed: static/js/devices.js). The same rows and
    rules as `search` (its query, with no words and no limit), sent as the page shows them:
    each learner's names to match, their details, today's phone, the exemption or
    parent-contact exception in force, and the pouch numbers that find them (today's and the
    previous day of handovers'), and who may collect their phone (what a held phone's row
    offers: what the desk's search shows of any held phone). The learners come in the order
    of their names as the database sorts them; the page puts those whose phone is not in yet
    first, as `search` does. Four queries, and plain rows: read as models and formatted by
    Django's filters, a school of 1,000 took ~100 ms of CPU, and the page reads it every
    minute."""
    school_id = getattr(school, "pk", school)
    now = timezone.localtime()
    params = [1, Decision.APPROVED, day, day, *[Decision.APPROVED, day, day] * 2]
    params += [day, school_id, EVERYONE]
    statement = SEARCH_SQL.format(order="", home=HOME_GIVEN_SQL, shown=SHOWN_SQL, words="")
    with connections[Handover.objects.db].cursor() as cursor:
        cursor.execute(statement, params)
        names = [column[0] for column in cursor.description]
        found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        cursor.execute(PREVIOUS_TAGS, [school_id, school_id, day])
        previous = dict(cursor.fetchall())
    # Who may collect each learner's phone, as a held phone's row lists them.
    collect: dict[int, list] = {}
    for learner_id, guardian_id, name, relationship in (
        Guardianship.objects.filter(
            learner__school_id=school_id, learner__active=True, may_collect=True
        )
        .order_by("guardian__name", "pk")
        .values_list("learner_id", "guardian_id", "guardian__name", "relationship")
    ):
        collect.setdefault(learner_id, []).append([guardian_id, f"{name} ({relationship})"])
    at = home_time(school)
    on_day, _ = formatters()
    years = dict(Learner._meta.get_field("year_group").flatchoices)
    reasons = dict(LearnerExemption.Reason.choices)

    rows = []
    for learner in found:
        first, preferred, last = (
            learner["legal_first_name"],
            learner["preferred_name"],
            learner["legal_last_name"],
        )
        tag = learner["today_tag"] or ""
        contact = learner["parent_contact"] or ""
        until = _as_date(learner["parent_contact_until"])
        held = learner["today_id"] is not None
        rows.append(
            {
                "id": learner["id"],
                "names": [name.upper() for name in (first, preferred, last) if name],
                "class": learner["class_name"],
                "name": f"{preferred or first} {last}",
                "about": f"{years[learner['year_group']]}, born "
                f"{on_day(_as_date(learner['date_of_birth']))}",
                "exempt": reasons[learner["exemption_reason"]]
                if learner["exemption_reason"]
                else "",
                "contact": Truncator(contact).chars(160) if contact else "",
                "until": on_day(until) if until else "",
                "in": _hhmm(learner["today_in_at"]) if held else "",
                "out": _hhmm(learner["today_out_at"]) if held and learner["today_out_at"] else "",
                "tag": tag,
                "tags": sorted({t.upper() for t in (previous.get(learner["id"]), tag) if t}),
                "collect": collect.get(learner["id"], []),
            }
        )
    return {
        "day": day.isoformat(),
        # Seconds since midnight, in the school's time: the page counts from the server's
        # clock, not the computer's, to know when home time comes.
        "now": now.hour * 3600 + now.minute * 60 + now.second,
        "home": at.hour * 3600 + at.minute * 60,
        "limit": LIMIT,
        "min_chars": MIN_CHARS,
        "learners": rows,
    }


def moved(handover: Handover) -> dict:
    """A learner's phone today, as the roster has it, after the desk moved it."""
    return {
        "id": handover.learner_id,
        "in": _hhmm(handover.in_at),
        "out": _hhmm(handover.out_at) if handover.out_at else "",
        "tag": handover.tag,
    }


def _hhmm(value) -> str:
    """A moment's time of day in the school's time zone (raw rows from SQLite are naive)."""
    return timezone.localtime(as_datetime(value)).strftime("%H:%M")


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
    known |= {name: as_datetime(getattr(learner, f"today_{name}")) for name in TODAY_FIELDS}
    # `from_db` reads the values in the order of the model's fields, whatever the names' order.
    names = [f.attname for f in Handover._meta.concrete_fields if f.attname in known]
    return Handover.from_db(Handover.objects.db, names, [known[name] for name in names])


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
        return counts_of(*cursor.fetchone())


def counts_of(handed_in: int, collected: int) -> dict[str, int]:
    """The desk's counts of a day, from its phones handed in and collected."""
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


def result_rows(results: list[Learner], csrf_input: str) -> list[SafeString]:
    """The rows of the desk's list (devices/partials/_desk_results.html) for `search`'s
    learners, each formatted here once: the template's loop over 8 rows, with its filters,
    `{% url %}` and `{% csrf_token %}` per row, was most of a search's CPU, and the desk
    sends one for each name typed. The HTML is the template's, byte for byte
    (tests/devices/test_desk_rows.py); `csrf_input` is the form's hidden token field."""
    day, _ = formatters()
    zone = timezone.get_current_timezone()
    years = dict(Learner._meta.get_field("year_group").flatchoices)
    check_in = url_maker("devices:desk_check_in")
    check_out = url_maker("devices:desk_check_out")

    def clock(at: datetime) -> str:
        at = at.astimezone(zone)
        return f"{at.hour:02d}:{at.minute:02d}"

    rows = []
    for n, learner in enumerate(results):
        name = escape(learner.name)
        today = learner.today
        contact = ""
        if learner.parent_contact:
            until = learner.parent_contact_until
            contact = (
                '<span class="d-block small fw-normal mt-1 parent-contact"><span class="badge '
                f'text-bg-warning">Parent contact allowed</span> '
                f"{escape(Truncator(learner.parent_contact).chars(160))}"
                f"{' (until ' + day(until) + ')' if until else ''}</span>"
            )
        if learner.exemption:
            phone = (
                '<span class="badge text-bg-info">Exempt</span> '
                f"{escape(learner.exemption.label)}\n        "
            )
            action = "\n        "
        elif today is None:
            phone = "Not in\n        "
            url = check_in(learner.pk)
            action = (
                f'\n        <form method="post" action="{url}" hx-post="{url}" '
                'hx-target="#desk-state" hx-include="#desk-tag" class="desk-action">'
                f"{csrf_input}\n          "
                '<button class="btn btn-sm btn-primary" type="submit">Check in'
                f'<span class="visually-hidden"> {name}</span></button>\n        </form>\n        '
            )
        elif today.out_at:
            phone = f"Collected {clock(today.out_at)}\n        "
            action = ""
        else:
            pouch = f" · pouch {escape(today.tag)}" if today.tag else ""
            phone = f"In since {clock(today.in_at)}{pouch}"
            url = check_out(learner.pk)
            options = "".join(
                f'<option value="{link.guardian_id}">{escape(link.guardian.name)} '
                f"({escape(link.relationship)})</option>"
                for link in learner.collectors
            )
            action = (
                f'\n        <form method="post" action="{url}" hx-post="{url}" '
                'hx-target="#desk-state" class="desk-action d-flex gap-1">'
                f"{csrf_input}\n          "
                f'<label class="visually-hidden" for="collector-{learner.pk}">Collected by</label>'
                "\n          "
                '<select class="form-select form-select-sm" '
                f'id="collector-{learner.pk}" name="guardian">\n            '
                '<option value="">The learner</option>\n            '
                f"{options}\n          </select>\n          "
                '<button class="btn btn-sm btn-secondary" type="submit">Check out'
                f'<span class="visually-hidden"> {name}</span></button>\n        </form>\n        '
            )
        active = ' class="table-active"' if n == 0 else ""
        rows.append(
            SafeString(  # nosec B703 - every value escaped just here
                f'\n    <tr{active}>\n      <th scope="row">'
                f'{name} <span class="d-block small fw-normal text-body-secondary">'
                f"{escape(years.get(learner.year_group, learner.year_group))}, born "
                f"{day(learner.date_of_birth)}</span>\n        {contact}</th>\n"
                f"      <td>{escape(learner.class_name)}</td>\n      <td>{phone}</td>\n"
                f"      <td>\n        {action}\n      </td>\n    </tr>\n  "
            )
        )
    return rows


def entry_rows(entries: list[DeskEntry], csrf_input: str) -> list[SafeString]:
    """The rows of the desk's last entries (devices/partials/_desk_state.html, and the one
    row a phone moved adds: _desk_change.html), each formatted here once: the template's
    row, with `{% url %}` twice and `{% csrf_token %}`, was a tenth of a check-in's time. The
    HTML is the template's, byte for byte (tests/devices/test_desk_rows.py); `csrf_input` is
    the form's hidden token field."""
    zone = timezone.get_current_timezone()
    undo = url_maker("devices:desk_undo")
    kinds = dict(DeskEntry.Kind.choices)
    rows = []
    for entry in entries:
        learner = entry.handover.learner
        name = escape(learner.name)
        kind = escape(kinds.get(entry.kind, entry.kind))
        at = entry.at.astimezone(zone)
        collector = ""
        if entry.kind == DeskEntry.Kind.OUT and entry.handover.collected_by_id:
            collector = f" ({escape(entry.handover.collected_by.name)})"
        form = ""
        if entry.can_undo:
            url = undo(entry.pk)
            form = (
                f'\n          <form method="post" action="{url}" hx-post="{url}" '
                f'hx-target="#desk-state">{csrf_input}\n            '
                '<button class="btn btn-sm btn-link p-0" type="submit">Undo<span '
                f'class="visually-hidden"> {kind.lower()} of {name}</span></button>\n          '
                "</form>"
            )
        struck = ' class="text-decoration-line-through text-body-secondary"' if entry.undone else ""
        rows.append(
            SafeString(  # nosec B703 - every value escaped just here
                f"      <tr{struck}>\n        <td>{at.hour:02d}:{at.minute:02d}</td>\n"
                f'        <td>{name} <span class="text-body-secondary">'
                f"{escape(learner.details)}</span></td>\n"
                f"        <td>{kind}{collector}</td>\n        <td>{form}</td>\n      </tr>\n"
            )
        )
    return rows
