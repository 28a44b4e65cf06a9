"""The desk and custody rules that touch several rows. Every action is refused with
`Refused` (a message for the user) and then changes nothing."""

import functools
from datetime import date

from django.db import IntegrityError, connections, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.text import Truncator

from devices import desk
from devices.models import (
    REGISTERS,
    Absence,
    Confiscation,
    CustodyEvent,
    CustodyState,
    DayReconciliation,
    Decision,
    DeskEntry,
    Handover,
    LearnerExemption,
    Search,
    SearchAuthorisation,
)
from devices.signals import confiscation_ready, confiscation_recorded
from incidents.visibility import is_concealed, without_concealed
from people.calendar import SchoolCalendar
from people.models import Guardian, Guardianship, Learner
from roper import rows, sql
from roper.errors import Refused
from roper.locking import locked


class ReasonNeeded(Refused):
    """A change to a day already reconciled, asked for without a reason. The desk asks for
    the reason and sends the same action again with it (devices/views.py `desk_view`);
    `learner_id` is the learner whose phone it would have moved, when known."""

    def __init__(self, day: date, learner_id: int | None = None):
        super().__init__(f"{day:%d/%m/%Y} has been reconciled: give a reason for this change.")
        self.learner_id = learner_id


def _needs_reason(school_id: int, day: date, reason: str) -> None:
    if (
        not reason.strip()
        and DayReconciliation.objects.filter(school_id=school_id, school_day=day).exists()
    ):
        raise ReasonNeeded(day)


def _reason(reason: str) -> str:
    """The reason given for a change at the desk, as it is recorded (refused when too long
    for the desk's entry)."""
    reason = reason.strip()
    limit = DeskEntry._meta.get_field("reason").max_length
    if len(reason) > limit:
        raise Refused(f"Keep the reason to {limit} characters.")
    return reason


def _still_to_come(day: date) -> bool:
    """Whether `day` is after today, where the school is: nothing is recorded of a day that
    has not begun."""
    return day > SchoolCalendar.today()


#: What a check-in must know once its locks are held, in one statement of its own (so that it
#: sees what a desk that held the locks before it committed): the learner's handover today;
#: whether the day is reconciled; the pouch number that carries over, the learner's last
#: handover's (each check-in carries it forward: one row read backwards through the
#: (learner, school_day) index, however long the learner's history); another learner's
#: handover today under the pouch number typed, or else under the carried one (an empty one
#: compared as NULL: no row, instead of the school's hundreds of thousands of handovers
#: without a pouch number read through the UPPER(tag) index); and the day's counts
#: (desk.COUNTS), which the desk shows after the check-in with its own phone added (check-ins
#: of the school wait for its lock, so none can come between; a check-out at another desk
#: shows at the next action, as it would a moment later). In SQL: built with Django's
#: expressions the same query cost 2 ms of CPU a check-in, thirty times this.
CHECK_IN_STATE_SQL = f"""
WITH carried AS (
    SELECT tag FROM devices_handover WHERE learner_id = %s AND undone_at IS NULL
    ORDER BY school_day DESC LIMIT 1
), today (handed_in, collected) AS ({desk.COUNTS})
SELECT
    (SELECT id FROM devices_handover
     WHERE learner_id = %s AND school_day = %s AND undone_at IS NULL LIMIT 1),
    EXISTS (SELECT 1 FROM devices_dayreconciliation WHERE school_id = %s AND school_day = %s),
    (SELECT tag FROM carried),
    (SELECT id FROM devices_handover
     WHERE school_id = %s AND school_day = %s AND undone_at IS NULL AND learner_id <> %s
       AND UPPER(tag) = UPPER(NULLIF(COALESCE(NULLIF(%s, ''), (SELECT tag FROM carried)), ''))
     LIMIT 1),
    today.handed_in, today.collected
FROM today
"""  # noqa: S608  # nosec B608 - desk.COUNTS, a constant
#: Prepared once per connection (roper/sql.py): PostgreSQL planned it in 0.3 ms, twice what it
#: takes to answer.
CHECK_IN_STATE = sql.Prepared(
    "devices_check_in_state",
    CHECK_IN_STATE_SQL,
    ("bigint", "bigint", "date", "bigint", "date", "bigint", "date", "bigint", "date", "bigint")
    + ("text",),
)


#: The post_save receivers of the rows a check-in (`rows.insert`) and a check-out
#: (CHECK_OUT_SQL) write without save(), so without post_save, by model label, and why each
#: has nothing to do for them (tests/devices/test_rows.py fails when a receiver is added).
POST_SAVE_ACCOUNTED = {
    "devices.Handover": {
        # simple_history's record of the row: both statements write that row themselves.
        "HistoricalRecords.post_save",
        # reports/cache.py: a handover of today is in no completed term; both act on today's.
        "on_change",
    },
    "devices.DeskEntry": {
        "on_change",  # reports/cache.py: no report reads the desk's log
    },
}


#: The row locks of a check-in, both in one statement, held to the commit: the learner's (two
#: desks acting on the same learner at once: the second waits, then sees the first) and the
#: school's (two desks giving one pouch number to two learners at once: the second waits for
#: the first, then sees its number). NO KEY, so rows referring to the school or the learner
#: still insert. In SQL: the ORM's select_for_update().get() cost ~0.5 ms to build.
CHECK_IN_LOCK = sql.Prepared(
    "devices_check_in_lock",
    """
    SELECT l.id FROM people_learner l JOIN people_school s ON s.id = l.school_id
    WHERE l.id = %s FOR NO KEY UPDATE
    """,
    ("bigint",),
)


def _check_in_state(*, learner: Learner, day: date, tag: str, tx: sql.Transaction) -> tuple:
    """(today's handover id, reconciled, carried pouch number, holder's handover id, the
    day's phones handed in, collected) of CHECK_IN_STATE, read once CHECK_IN_LOCK is held, as
    the first statements of transaction `tx`; the ids are None when there is none. SQLite has
    no row locks (one writer at a time, and the unique constraint): the state alone."""
    school, pk = learner.school_id, learner.pk
    state = [pk, school, day, pk, day, school, day, school, day, pk, tag]
    with connections[Handover.objects.db].cursor() as cursor:
        if cursor.db.vendor != "postgresql":
            cursor.execute(CHECK_IN_STATE.sql(cursor.db), state)
            return cursor.fetchone()
        # The transaction's BEGIN and both statements in one message: PostgreSQL gives each
        # statement of a message its own snapshot, so the state is still read after the lock
        # is held (psycopg's client-side binding, Django's default, sends them together).
        lock, read = CHECK_IN_LOCK.sql(cursor.db), CHECK_IN_STATE.sql(cursor.db)
        cursor.execute(f"{tx.begin}{lock};{read}", [pk, *state])
        tx.skip_begin(cursor)
        if cursor.fetchone() is None:
            raise Learner.DoesNotExist
        cursor.nextset()
        return cursor.fetchone()


def handover_check_in(*, learner: Learner, by, tag: str = "", reason: str = "") -> Handover:
    """Check a learner's phone in. `tag` is the pouch number typed at the desk: refused when
    another learner's phone is in under it today. Without one, the learner's last pouch
    number carries over, unless another learner has it today (then none). The desk entry
    written is the handover's `entry`; the day's counts with it, its `counts`."""
    now = timezone.now()
    day = SchoolCalendar.day_of(now)
    tag = tag.strip()[: Handover._meta.get_field("tag").max_length]
    reason = _reason(reason)
    try:
        # BEGIN with the first statements, COMMIT with the last (roper/sql.py).
        with sql.transaction(Handover.objects.db) as tx:
            # CHECK_IN_LOCK, then CHECK_IN_STATE.
            existing, reconciled, carried, holder, handed_in, collected = _check_in_state(
                learner=learner, day=day, tag=tag, tx=tx
            )
            if existing:
                existing = Handover.objects.get(pk=existing)
                raise Refused(
                    f"{learner.name}'s phone was already checked in at "
                    f"{timezone.localtime(existing.in_at):%H:%M}."
                )
            if reconciled and not reason:
                raise ReasonNeeded(day, learner.pk)
            if holder and tag:
                holder = Handover.objects.select_related("learner").get(pk=holder)
                raise Refused(
                    f"Pouch {tag} is already in use today: {holder.learner.name} "
                    f"({holder.learner.class_name}) handed their phone in with it at "
                    f"{timezone.localtime(holder.in_at):%H:%M}. Check the number on the "
                    "pouch, or leave the pouch number empty."
                )
            if not tag and not holder:
                tag = carried or ""  # a pouch number carries over …
            # … unless last time's pouch is another learner's today.
            # The rush's one write: the handover, its history and the desk's entry in one
            # INSERT statement made once from the models (roper/rows.py).
            handover = Handover(
                school_id=learner.school_id,
                learner=learner,
                school_day=day,
                tag=tag,
                in_at=now,
                received_by=by,
            )
            handover.entry = DeskEntry(
                school_id=learner.school_id, kind=DeskEntry.Kind.IN, at=now, by=by, reason=reason
            )
            rows.insert(
                handover, history_user=by, history_date=now, child=handover.entry, then=tx.commit
            )
            handover.counts = desk.counts_of(handed_in + 1, collected)
    except IntegrityError:
        # Without row locks (SQLite) the unique constraint is the last line of defence.
        raise Refused(f"{learner.name}'s phone was already checked in.") from None
    return handover


#: The check-out of a phone held, in one statement (PostgreSQL): the handover's row updated
#: only while it is held today and the day is not reconciled (or a reason is given), with
#: its history row and the desk's entry, and the day's counts (desk.COUNTS, read as the
#: statement began: this phone not yet out). The UPDATE holds the row's lock to the end of
#: the statement, so of two desks handing one phone back the second waits, then finds it out
#: and updates nothing; nothing updated, the ORM's path says why (`_check_out_locked`). In
#: the ORM, the lock, the update and the two inserts cost ~2 ms of CPU and seven round trips
#: a phone at the home-time rush (bench/README.md, tenth pass).
CHECK_OUT_SQL = """
WITH u AS (
    UPDATE devices_handover SET {set}
    WHERE learner_id = %s AND school_day = %s AND undone_at IS NULL AND out_at IS NULL
      AND (%s OR NOT EXISTS (
          SELECT 1 FROM devices_dayreconciliation WHERE school_id = %s AND school_day = %s))
    RETURNING *
), h AS ({history}), e AS ({entry}), today (handed_in, collected) AS ({counts})
SELECT {columns}, e.id, today.handed_in, today.collected + 1 FROM u, e, today
"""
#: The handover's columns the check-out writes, in CHECK_OUT_SQL's order.
CHECK_OUT_SETS = ("out_at", "handed_back_by", "collected_by", "collected_by_learner")


@functools.cache
def _check_out_statement() -> tuple[sql.Prepared, tuple, tuple, object]:
    """(CHECK_OUT_SQL prepared, the history's own fields, the desk entry's fields and its
    key to the handover): made once from the models (roper/rows.py)."""
    connection = connections[Handover.objects.db]
    quote = connection.ops.quote_name
    history, own = rows.history_of_update(Handover)
    entry, entry_fields, fk = rows.child_of_update(Handover, DeskEntry)
    sets = [Handover._meta.get_field(name) for name in CHECK_OUT_SETS]
    statement = CHECK_OUT_SQL.format(
        set=", ".join(f"{quote(f.column)} = %s" for f in sets),
        history=history,
        entry=entry,
        counts=desk.COUNTS,
        columns=", ".join(f"u.{quote(f.column)}" for f in Handover._meta.concrete_fields),
    )
    where = ("bigint", "date", "boolean", "bigint", "date")
    types = (
        *(f.db_type(connection) for f in sets),
        *where,
        *(f.db_type(connection) for f in own),
        *(f.db_type(connection) for f in entry_fields if f is not fk),
        "bigint",
        "date",
    )
    return sql.Prepared("devices_check_out", statement, types), own, entry_fields, fk


def handover_check_out(
    *, learner: Learner, by, guardian: Guardian | None = None, reason: str = ""
) -> Handover:
    """Check a learner's phone out, to `guardian` or to the learner. The desk entry written
    is the handover's `entry`; the day's counts with it, its `counts`."""
    now = timezone.now()
    day = SchoolCalendar.day_of(now)
    reason = _reason(reason)
    connection = connections[Handover.objects.db]
    if connection.vendor == "postgresql":
        _check_collector(learner, guardian)
        handover = _check_out_at_once(
            connection, learner=learner, by=by, guardian=guardian, reason=reason, now=now, day=day
        )
        if handover is not None:
            return handover
    # SQLite; or, on PostgreSQL, a phone the statement did not hand back: why, or (moved back
    # meanwhile: an undo) handed back after all.
    return _check_out_locked(learner=learner, by=by, guardian=guardian, reason=reason, now=now)


def _check_collector(learner, guardian) -> None:
    """Refused unless the phone goes to the learner or to a guardian on file as allowed to
    collect it."""
    if (
        guardian is not None
        and not Guardianship.objects.filter(
            learner=learner, guardian=guardian, may_collect=True
        ).exists()
    ):
        raise Refused(f"{guardian.name} is not on file as allowed to collect.")


def _check_out_at_once(connection, *, learner, by, guardian, reason, now, day) -> Handover | None:
    """CHECK_OUT_SQL: the handover handed back, with its `entry` and `counts`; None when it
    was not (not held, already out, or the day reconciled and no reason given)."""
    prepared, own, entry_fields, fk = _check_out_statement()
    entry = DeskEntry(school_id=learner.school_id, kind=DeskEntry.Kind.OUT, at=now, by=by)
    entry.reason = reason
    sets = [now, by.pk, guardian.pk if guardian else None, guardian is None]
    where = [learner.pk, day, bool(reason.strip()), learner.school_id, day]
    params = [
        *(
            f.get_db_prep_save(value, connection)
            for f, value in zip(
                (Handover._meta.get_field(name) for name in CHECK_OUT_SETS), sets, strict=True
            )
        ),
        *where,
        *rows.history_own_values(own, connection, kind="~", user=by, date=now),
        *rows.child_values(entry, entry_fields, fk, connection),
        learner.school_id,
        day,
    ]
    with connection.cursor() as cursor:
        cursor.execute(prepared.sql(connection), params)
        found = cursor.fetchone()
    if found is None:
        return None
    *values, entry_id, handed_in, collected = found
    names = [f.attname for f in Handover._meta.concrete_fields]
    handover = Handover.from_db(connection.alias, names, values)
    handover.learner = learner  # the caller's (no query), for what shows the entry
    handover.collected_by = guardian
    entry.pk, entry.handover = entry_id, handover
    entry._state.adding, entry._state.db = False, connection.alias
    handover.entry = entry
    handover.counts = desk.counts_of(handed_in, collected)
    return handover


def _check_out_locked(*, learner, by, guardian, reason, now) -> Handover:
    """The check-out through the ORM, with the handover's row locked."""
    day = SchoolCalendar.day_of(now)

    def not_held(handover):
        if handover is None:
            return f"{learner.name}'s phone was not checked in today."
        if handover.out_at is not None:
            return (
                f"{learner.name}'s phone was already checked out at "
                f"{timezone.localtime(handover.out_at):%H:%M}."
            )
        return None

    # Two desks checking the same phone out at once: the second sees it already out. Whether
    # the day is reconciled is read with the row.
    today = Handover.objects.filter(
        learner=learner, school_day=day, undone_at__isnull=True
    ).annotate(
        reconciled=Exists(
            DayReconciliation.objects.filter(school_id=learner.school_id, school_day=day)
        )
    )
    with locked(today, check=not_held) as handover:
        _check_collector(learner, guardian)
        if handover.reconciled and not reason:
            raise ReasonNeeded(day, learner.pk)
        handover.out_at = now
        handover.handed_back_by = by
        handover.collected_by = guardian
        handover.collected_by_learner = guardian is None
        handover.save()
        handover.learner = learner  # the caller's (no query), for what shows the entry
        handover.entry = DeskEntry.objects.create(
            school_id=learner.school_id,
            handover=handover,
            kind=DeskEntry.Kind.OUT,
            at=now,
            by=by,
            reason=reason,
        )
    return handover


def handover_undo(*, entry: DeskEntry, by, reason: str = "") -> DeskEntry:
    """Undo a mistaken check-in or check-out within a few minutes. The undo is recorded."""
    now = timezone.now()
    reason = _reason(reason)

    def not_undoable(entry):
        if entry.kind not in (DeskEntry.Kind.IN, DeskEntry.Kind.OUT) or entry.undone:
            return "This entry cannot be undone."
        if now - entry.at > DeskEntry.UNDO_WINDOW:
            return "Too late to undo: entries can be undone for 5 minutes."
        return None

    # Two clicks on "undo" at once: only one undoes.
    with (
        locked(entry, check=not_undoable) as entry,
        locked(Handover.objects.filter(pk=entry.handover_id)) as handover,
    ):
        _needs_reason(handover.school_id, handover.school_day, reason)
        if entry.kind == DeskEntry.Kind.IN:
            if handover.out_at is not None:
                raise Refused("Undo the check-out first.")
            handover.undone_at, handover.undone_by = now, by
            kind = DeskEntry.Kind.UNDO_IN
        else:
            if handover.undone_at is not None or handover.out_at is None:
                raise Refused("This entry cannot be undone.")
            handover.out_at = handover.handed_back_by = handover.collected_by = None
            handover.collected_by_learner = False
            kind = DeskEntry.Kind.UNDO_OUT
        handover.save()
        DeskEntry.objects.filter(pk=entry.pk).update(undone=True)
        return DeskEntry.objects.create(
            school_id=handover.school_id, handover=handover, kind=kind, at=now, by=by, reason=reason
        )


def desk_enter(
    *, school, q: str, by, tag: str = "", expected: int | None = None, reason: str = ""
) -> tuple[str, str, Handover | None]:
    """Enter in the desk's search box (or its pouch number box): the top match's phone is
    checked in, under the pouch number `tag` when one is typed, or, from home time, checked
    out to the learner. Returns (message, level: success or info, the handover moved or
    None); a phone that cannot move is refused with what the desk should do instead.

    `expected`: the learner the desk's page showed first (its list, searched in the browser,
    may be a minute old): when the server's match is another learner, nothing moves.
    `reason`: why a phone moves on a day already reconciled."""
    results = desk.search(school=school, q=q, day=SchoolCalendar.today(), shown=False)
    if not results:
        raise Refused(f"No learner matches “{q}”.")
    at_home_time = results[0].at_home  # the school's home time, read with the learners

    def to_act_on(learner) -> bool:
        if learner.exemption:
            return False
        held = learner.today is not None and learner.today.out_at is None
        return learner.today is None or (at_home_time and held)

    waiting = [learner for learner in results if to_act_on(learner)]
    if len(waiting) > 1 or (waiting and len(results) == desk.LIMIT):
        # Never the wrong child: when Enter could mean two learners, it asks instead.
        raise Refused(
            f"More than one learner matches “{q}”: choose one in the list, or type more of "
            "the name (or the pouch number)."
        )
    learner = waiting[0] if waiting else results[0]
    if expected is not None and learner.pk != expected:
        raise Refused(
            f"The list has changed since it was shown: {learner.name} is the match now. "
            "Check the list, then press Enter again."
        )
    if learner.exemption:
        return (
            f"{learner.name} is exempt ({learner.exemption.label}): they keep their phone.",
            "info",
            None,
        )
    if learner.today is None:
        handover = handover_check_in(learner=learner, by=by, tag=tag, reason=reason)
        return check_in_message(learner, handover), "success", handover
    if learner.today.out_at is None and at_home_time:
        handover = handover_check_out(learner=learner, by=by, reason=reason)
        return f"{learner.name}: phone collected by the learner.", "success", handover
    if learner.today.out_at is None:
        raise Refused(
            f"{learner.name}'s phone is already in (since "
            f"{timezone.localtime(learner.today.in_at):%H:%M}). Before home time, use "
            "“Check out” to hand it back."
        )
    raise Refused(
        f"{learner.name}'s phone was already collected at "
        f"{timezone.localtime(learner.today.out_at):%H:%M}."
    )


def check_in_message(learner: Learner, handover: Handover) -> str:
    pouch = f" Pouch {handover.tag}." if handover.tag else ""
    return f"{learner.name} ({learner.class_name}): phone in.{pouch}"


def class_learners(*, school, class_name: str):
    return Learner.objects.filter(school=school, class_name__iexact=class_name, active=True)


def class_check_in(*, school, class_name: str, by, reason: str = "") -> tuple[int, int]:
    """Check in every learner of a class who is not already in and not exempt.
    Returns (checked in, skipped). On a day already reconciled, refused without a reason
    (ReasonNeeded), as a check-in of one learner is; with one, each entry records it."""
    day = SchoolCalendar.today()
    reason = _reason(reason)
    _needs_reason(school.pk, day, reason)
    learners = list(class_learners(school=school, class_name=class_name))
    exempt = set(
        LearnerExemption.objects.filter(
            LearnerExemption.active_q(day), learner__in=learners
        ).values_list("learner_id", flat=True)
    )
    done = skipped = 0
    for learner in learners:
        if learner.pk in exempt:
            skipped += 1
            continue
        try:
            handover_check_in(learner=learner, by=by, reason=reason)
            done += 1
        except ReasonNeeded:
            raise  # the day was reconciled meanwhile: not a learner to skip
        except Refused:
            skipped += 1
    return done, skipped


def class_check_out(*, school, class_name: str, by, reason: str = "") -> tuple[int, int]:
    """Check out (to the learner) every phone of the class still held today; on a day
    already reconciled, as `class_check_in`."""
    day = SchoolCalendar.today()
    reason = _reason(reason)
    _needs_reason(school.pk, day, reason)
    learners = list(
        class_learners(school=school, class_name=class_name).filter(
            handovers__school_day=day,
            handovers__undone_at__isnull=True,
            handovers__out_at__isnull=True,
        )
    )
    done = skipped = 0
    for learner in learners:
        try:
            handover_check_out(learner=learner, by=by, reason=reason)
            done += 1
        except ReasonNeeded:
            raise
        except Refused:
            skipped += 1
    return done, skipped


def day_reconcile(*, school, day: date, by, note: str = "") -> DayReconciliation:
    """Mark `day` reconciled: its phones checked. Refused for a day still to come (once
    reconciled, every change to a day needs a reason, and there is no going back)."""
    if _still_to_come(day):
        raise Refused(
            f"{day:%d/%m/%Y} is still to come: a day is reconciled at its end, not before."
        )
    reconciliation, created = DayReconciliation.objects.get_or_create(
        school=school, school_day=day, defaults={"reconciled_by": by, "note": note}
    )
    if not created:
        raise Refused(f"{day:%d/%m/%Y} was already reconciled.")
    return reconciliation


def absences_set(*, school, day: date, learner_ids: set[int], by) -> tuple[int, int]:
    """Mark exactly `learner_ids` (learners of the school on roll) absent on `day`: the others
    marked before are unmarked. Refused, and nothing changed, for a day still to come, a
    learner not on roll, or one who handed a phone in that day. Returns (marked, unmarked)."""
    if _still_to_come(day):
        raise Refused("A learner cannot be marked absent on a day still to come.")
    learners = list(Learner.objects.filter(school=school, active=True, pk__in=learner_ids))
    if len(learners) != len(learner_ids):
        raise Refused("Choose learners of the school on roll.")
    handed = sorted(
        h.learner.name
        for h in Handover.objects.filter(
            school=school, school_day=day, undone_at__isnull=True, learner_id__in=learner_ids
        ).select_related("learner")
    )
    if handed:
        raise Refused(f"{', '.join(handed)} handed a phone in that day: not absent.")
    with transaction.atomic():
        marked = Absence.objects.filter(school=school, school_day=day)
        gone = [a for a in marked if a.learner_id not in learner_ids]
        for absence in gone:
            absence._history_user = by
            absence.delete()  # one by one, so the history keeps each
        added = 0
        for learner in learners:
            # Two people saving at once: the unique constraint keeps one row per learner.
            _, created = Absence.objects.get_or_create(
                learner=learner,
                school_day=day,
                defaults={"school": school, "recorded_by": by},
            )
            added += created
    return added, len(gone)


def end_of_day(*, school, day: date, user) -> dict:
    """The end-of-day sheet: per class, phones handed in, collected and still held, and the
    devices still confiscated (those linked to a concern concealed from `user` left out);
    the held phones nobody explained; the day's reconciliation, if any."""
    handovers = list(
        Handover.objects.filter(school=school, school_day=day, undone_at__isnull=True)
        .select_related("learner", "received_by", "collected_by")
        .order_by("learner__class_name", "learner__legal_last_name", "learner__legal_first_name")
    )
    open_confiscations = list(
        without_concealed(Confiscation.objects.filter(school=school).open(), user, "concern")
        .select_related("learner")
        .order_by("confiscated_at")
    )
    classes: dict[str, dict] = {}

    def row(name):
        return classes.setdefault(
            name, {"name": name, "handed_in": 0, "collected": 0, "held": [], "confiscations": []}
        )

    for handover in handovers:
        r = row(handover.learner.class_name)
        r["handed_in"] += 1
        if handover.out_at:
            r["collected"] += 1
        else:
            r["held"].append(handover)
    for confiscation in open_confiscations:
        row(confiscation.learner.class_name)["confiscations"].append(confiscation)
    # Those who handed nothing in, for the office to say who was absent (one query).
    not_handed_in = list(
        Learner.objects.filter(school=school, active=True)
        .filter(
            ~Exists(
                Handover.objects.filter(
                    learner=OuterRef("pk"), school_day=day, undone_at__isnull=True
                )
            )
        )
        .annotate(absent=Exists(Absence.objects.filter(learner=OuterRef("pk"), school_day=day)))
        .only("legal_first_name", "preferred_name", "legal_last_name", "class_name")
        .order_by("class_name", "legal_last_name", "legal_first_name", "pk")
    )
    return {
        "day": day,
        "not_handed_in": not_handed_in,
        "absent": sum(1 for learner in not_handed_in if learner.absent),
        "classes": sorted(classes.values(), key=lambda r: r["name"]),
        "unexplained": [h for h in handovers if h.is_held and not h.held_note],
        "reconciliation": DayReconciliation.objects.filter(school=school, school_day=day)
        .select_related("reconciled_by")
        .first(),
        "to_come": _still_to_come(day),
    }


def uncollected(*, school, day: date) -> list[Handover]:
    """The phones handed in on `day` and not collected, by class and name: the printed list
    the office keeps at the end of the day. One query."""
    return list(
        Handover.objects.filter(
            school=school, school_day=day, undone_at__isnull=True, out_at__isnull=True
        )
        .select_related("learner")
        .order_by("learner__class_name", "learner__legal_last_name", "learner__legal_first_name")
    )


def handover_explain(*, handover: Handover, by, note: str, reason: str = "") -> Handover:
    """Say why a phone is still held at the end of the day."""
    # Two notes saved at once: the second sees the first (and the day's reconciliation).
    with locked(handover) as handover:
        _needs_reason(handover.school_id, handover.school_day, reason)
        handover.held_note = note.strip()
        handover.save(update_fields=["held_note"])
    return handover


# --------------------------------------------------------------------------------------------
# Confiscations


def confiscation_record(
    *,
    learner: Learner,
    device: str,
    reason: str,
    by,
    held_at: str,
    at=None,
    concern=None,
    reason_kind: str = "other",
) -> Confiscation:
    at = at or timezone.now()
    with transaction.atomic():
        confiscation = Confiscation.objects.create(
            school_id=learner.school_id,
            learner=learner,
            device=device,
            reason=reason,
            reason_kind=reason_kind,
            confiscated_by=by,
            confiscated_at=at,
            held_at=held_at,
            concern=concern,
        )
        CustodyEvent.objects.create(
            confiscation=confiscation,
            sequence=1,
            state=CustodyState.CONFISCATED,
            at=at,
            by=by,
            location=held_at,
        )
        confiscation_recorded.send(sender=Confiscation, confiscation=confiscation, by=by)
    return confiscation


def confiscation_move(
    *,
    confiscation: Confiscation,
    to_state: str,
    by,
    can_override: bool = False,
    location: str = "",
    note: str = "",
    guardian: Guardian | None = None,
    guardian_name: str = "",
    relationship: str = "",
    id_checked: bool = False,
    override_reason: str = "",
    officer: str = "",
    force: str = "",
    reference: str = "",
    seal_number: str = "",
    at=None,
) -> CustodyEvent:
    """Append the next custody event, made now (or `at`: the demo records its past moves).
    `can_override` is whether `by` may release to someone not on file (the headteacher); the
    view decides it from the permission table. Nobody
    moves a device linked to a concern concealed from them (it may be the evidence against
    them): to them it is a device that does not exist, the same 404 as the view's lookup."""
    # Two people moving the same device at once: the second sees the first's move.
    with locked(confiscation) as confiscation:
        if is_concealed(by, confiscation.concern_id):
            raise Http404("This device cannot be released by you — ask the DSL.")
        confiscation.check_move(to_state)
        event = CustodyEvent(
            confiscation=confiscation,
            sequence=confiscation.events.count() + 1,
            state=to_state,
            at=at or timezone.now(),
            by=by,
            location=location,
            note=note,
        )
        if to_state == CustodyState.SECURED:
            if not location.strip():
                raise Refused("Say where the device is stored.")
            confiscation.held_at = location
        elif to_state == CustodyState.RELEASED:
            _release(
                confiscation, event, guardian, guardian_name, relationship, id_checked,
                override_reason, can_override, by,
            )  # fmt: skip
        elif to_state == CustodyState.POLICE:
            if not all(v.strip() for v in (officer, force, reference, seal_number)):
                raise Refused("Record the officer, force, police reference and seal number.")
            event.officer, event.force = officer, force
            event.reference, event.seal_number = reference, seal_number
            confiscation.held_at = _held_by_police(force, reference)
        event.save()
        confiscation.state = to_state
        confiscation.save()
        if to_state == CustodyState.SECURED:
            confiscation_ready.send(sender=Confiscation, confiscation=confiscation, by=by)
    return event


def _held_by_police(force: str, reference: str) -> str:
    """Where a device handed to the police is held, as the confiscation's `held_at` says it:
    the force shortened when the whole would not fit the column, so that the reference is
    always there (the custody event keeps both in full)."""
    limit = Confiscation._meta.get_field("held_at").max_length
    head, tail = "Police: ", f", ref. {reference.strip()}"
    room = max(limit - len(head) - len(tail), 1)
    return (head + Truncator(force.strip()).chars(room) + tail)[:limit]


def _release(
    confiscation, event, guardian, guardian_name, relationship, id_checked, override_reason,
    can_override, by,
):  # fmt: skip
    if not id_checked:
        raise Refused("Check the identity of the person collecting before release.")
    event.checked_by, event.id_checked = by, True
    if guardian is not None:
        link = (
            Guardianship.objects.filter(learner_id=confiscation.learner_id, guardian=guardian)
            .select_related("guardian")
            .first()
        )
        if link is None or not link.may_collect:
            raise Refused(f"{guardian.name} is not on file as allowed to collect.")
        event.guardian = guardian
        event.guardian_name = guardian.name
        event.relationship = link.relationship
        return
    if not (guardian_name.strip() and relationship.strip()):
        raise Refused("Choose a parent or carer on file, or name the person collecting.")
    if not can_override:
        raise Refused(
            "Devices are released only to a parent or carer on file who may collect; "
            "only the headteacher may override this."
        )
    if not override_reason.strip():
        raise Refused("Give the reason for releasing to someone not on file.")
    event.guardian_name, event.relationship = guardian_name, relationship
    event.override_reason = override_reason


# --------------------------------------------------------------------------------------------
# Exceptions and approvals


def exception_sections(*, school, user) -> list[dict]:
    """Each register of the school: the requests `user` decides (pending, and the last 20
    decided) when they decide any, and their own last 20 requests."""
    sections = []
    for register in REGISTERS.values():
        rows = register.rows().filter(school=school)
        decides = register.decided_by(user, school)
        sections.append(
            {
                "register": register,
                "pending": list(rows.filter(decides, status=Decision.PENDING))
                if decides is not None
                else None,
                "decided": list(rows.filter(decides).exclude(status=Decision.PENDING)[:20])
                if decides is not None
                else None,
                "mine": list(rows.filter(requested_by=user)[:20]),
            }
        )
    return sections


def exception_can_decide(*, register, obj, user) -> bool:
    """Whether `user` decides this request (their permission covers its kind)."""
    decides = register.decided_by(user, obj.school_id)
    return decides is not None and register.model.objects.filter(decides, pk=obj.pk).exists()


# --------------------------------------------------------------------------------------------
# Searches (DfE, "Searching, screening and confiscation", 2022)


def search_may_record(*, user, school) -> bool:
    """Whether `user` may search pupils of `school`: the headteacher, and staff who may
    confiscate and whom the headteacher has authorised (an authorisation in force)."""
    from roper.permissions import has_perm, roles_for
    from roper.roles import Role

    if Role.HEADTEACHER in roles_for(user, school):
        return True
    return (
        has_perm(user, "devices.search", school)
        and SearchAuthorisation.objects.filter(
            school=school, user=user, revoked_at__isnull=True
        ).exists()
    )


def search_record(*, search: Search) -> Search:
    """Save a search made by `search.searched_by` (the person recording it), after the
    guidance's rules (`Search.problems`). Refused, and nothing saved, when the searcher is
    not authorised or a rule is broken."""
    if not search_may_record(user=search.searched_by, school=search.school):
        raise Refused(SEARCH_NOT_AUTHORISED)
    if problems := search.problems():
        raise Refused(" ".join(problems.values()))
    search.save()
    return search


SEARCH_NOT_AUTHORISED = (
    "Only the headteacher, and staff the headteacher has authorised, may search a pupil. "
    "Ask the headteacher to authorise you, or fetch someone who is."
)


def search_authorise(*, school, user, by) -> SearchAuthorisation:
    """Authorise a member of staff to search. Refused for someone who may not confiscate (the
    office, governors, the admin) and for someone already authorised."""
    from roper.permissions import has_perm

    if not has_perm(user, "devices.search", school):
        raise Refused(f"{user.get_full_name() or user} is not staff who may confiscate devices.")
    try:
        # Two authorisations of one person at once: the partial unique index lets one in.
        with transaction.atomic():
            return SearchAuthorisation.objects.create(school=school, user=user, authorised_by=by)
    except IntegrityError:
        raise Refused(f"{user.get_full_name() or user} is already authorised.") from None


def search_authorisation_revoke(*, authorisation: SearchAuthorisation, by) -> None:
    # Two revocations at once: the second sees the first's and changes nothing.
    def revoked(a):
        return "This authorisation was already revoked." if a.revoked_at else None

    with locked(authorisation, check=revoked) as authorisation:
        authorisation.revoked_at, authorisation.revoked_by = timezone.now(), by
        authorisation.save(update_fields=["revoked_at", "revoked_by"])


def search_told(*, search: Search, parents_informed_at=None, parents_informed_how: str = "",
                dsl_informed_at=None) -> Search:  # fmt: skip
    """Record, after the search, when the parents or carers and the DSL were told. A time
    already recorded stays: it is what happened (history keeps who recorded each)."""
    # Two people recording at once: the second sees the first's times and keeps them.
    with locked(search) as search:
        changed = []
        if parents_informed_at and not search.parents_informed_at:
            search.parents_informed_at = parents_informed_at
            search.parents_informed_how = parents_informed_how.strip()
            changed += ["parents_informed_at", "parents_informed_how"]
        if dsl_informed_at and not search.dsl_informed_at:
            search.dsl_informed_at = dsl_informed_at
            changed.append("dsl_informed_at")
        if not changed:
            raise Refused("Nothing new to record.")
        # The guidance's rules for what is recorded now: the same as for a new search's.
        problems = search.problems()
        if wrong := list(dict.fromkeys(problems[name] for name in changed if name in problems)):
            raise Refused(" ".join(wrong))
        search.save(update_fields=changed)
    return search
