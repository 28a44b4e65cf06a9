"""What happens to a concern: report, add information, triage and record, close."""

import mimetypes
import operator
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import reduce
from html import escape

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connections, transaction
from django.db.models import (
    F,
    Q,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.timesince import timesince, timeuntil

from incidents.models import (
    Category,
    Concern,
    Entry,
    Evidence,
    FilteringReview,
    Involvement,
    Referral,
)
from incidents.routing import concern_route
from incidents.visibility import (
    action_candidates,
    can_see,
    concerns_visible_to,
    is_concealed,
    may_mark_done,
)
from people.calendar import SchoolCalendar
from people.models import Learner, Membership
from policies.services import review_trigger_open
from roper import permissions
from roper.dates import as_datetime, formatters
from roper.errors import Refused
from roper.links import link_maker
from roper.locking import locked
from roper.models import AccessLog
from roper.notifications import notification_send
from roper.uploads import IMAGE_TYPES, PDF_TYPES, served_type, upload_check

User = get_user_model()
#: What of a person the timeline shows: their name.
NAME_FIELDS = ("first_name", "last_name", "username", "is_active")

#: The filtering and monitoring review: its owner is reminded this long before it is due.
FILTERING_REMINDER_BEFORE = timedelta(days=30)

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
SEARCH_MIN_CHARS = 2
SEARCH_LIMIT = 8
LESSONS_SOURCE = "lessons learnt from a safeguarding concern"
CLOSED_FOR_ADDITIONS = "This concern is closed. Report a new concern instead."
NOT_A_CANDIDATE = (
    "Give the action to someone who may open this concern: the person chosen could not."
)


#: The open queues of the triage dashboard, one per status (`_queue_rows`); it also shows the
#: concerns closed this term.
QUEUES = [
    ("new", "New", Q(status=Concern.Status.NEW)),
    ("in_progress", "In progress", Q(status=Concern.Status.IN_PROGRESS)),
    ("awaiting_referral", "Awaiting referral", Q(status=Concern.Status.AWAITING_REFERRAL)),
]
#: How many concerns a queue lists (its count says how many there are).
QUEUE_SIZE = 50


DANGER_BADGE = ' <span class="badge text-bg-danger">danger</span>'


def _dashboard_row(concern: dict, key: str, now, link, day, moment, risks) -> SafeString:
    """The concern's row in queue `key`, as the page shows it: formatted here once per row,
    every value escaped (the template's loop over 200 rows of 8 cells, with its lookups and
    filters per cell, was a third of the page's time). `concern`: a row of `_queue_rows`."""
    when = concern["when"]  # QUEUE_WHEN: the closed's date, the new's deadline
    if key == "closed":
        triage = day(timezone.localtime(when))
    elif key != "new":
        triage = "Triaged"
    elif when is None:
        triage = ""
    elif when < now:
        late = escape(timesince(when, now))
        triage = f'<strong class="text-danger">Overdue by {late}</strong>'
    else:
        triage = escape(f"in {timeuntil(when, now)}")
    owner = f"{concern['owner_first'] or ''} {concern['owner_last'] or ''}".strip()
    cells = (
        f"{link(concern['pk'])}{DANGER_BADGE if concern['immediate_danger'] else ''}",
        escape(concern["category_name"]),
        escape(concern["learners"]),
        moment(concern["reported_at"]),
        triage,
        escape(risks.get(concern["risk_level"]) or "–"),
        escape(owner or "–"),
        "Read" if concern["read"] else "Unread",
    )
    # Safe: each cell is escaped above, or is markup written here.
    return SafeString("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")  # nosec B703


#: The triage queues' rows in one statement (`_queue_rows`), around the concerns counted as
#: the ORM selects them for the viewer (QUEUE_SQL.format(concerns=…): their visibility is
#: only ever the ORM's). Each concern's place in its queue and the queue's size are window
#: functions over one window; the category and owner are joined to the rows listed only.
#: In SQL: the ORM's window, five ordering CASEs and joined names cost ~2.3 ms of CPU to
#: build and compile on every view of the dashboard, and PostgreSQL joined every concern
#: counted (~1,200) before keeping 150 (bench/README.md, seventh pass).
#: The open queues' most urgent first: the earliest deadline (none last), then the oldest
#: report; the closed, the latest closed first. The concern's number breaks ties, so that a
#: refresh shows the same rows.
QUEUE_SQL = """
SELECT q.id, q.reported_at, q.immediate_danger, q.risk_level, q.status, q.size, q.deadline,
    q.closed_at, cat.name, u.first_name, u.last_name, q.read_at IS NOT NULL, ({learners})
FROM (
    SELECT c.*, COUNT(*) OVER w AS size, ROW_NUMBER() OVER w AS place
    FROM ({concerns}) c
    WINDOW w AS (PARTITION BY c.status ORDER BY
        CASE WHEN c.status = %s THEN NULL ELSE c.deadline END ASC NULLS LAST,
        CASE WHEN c.status = %s THEN NULL ELSE c.reported_at END ASC,
        CASE WHEN c.status = %s THEN c.closed_at END DESC,
        CASE WHEN c.status = %s THEN NULL ELSE c.id END ASC,
        c.id DESC
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
) q
JOIN incidents_category cat ON cat.id = q.category_id
LEFT JOIN auth_user u ON u.id = q.owner_id
WHERE q.place <= %s
ORDER BY q.status, q.place
"""
#: The learners of a concern listed, as the row shows them ("Amelia Khan (Oak), …", in the
#: order they were added), by database: PostgreSQL orders inside the aggregate, SQLite (3.40
#: has no ORDER BY there) concatenates a subquery's rows in its order. Read with the rows: a
#: query of their own cost ~2 ms (its ORM build, planning and a round trip).
QUEUE_LEARNERS = {
    "postgresql": """
    SELECT string_agg({name}, ', ' ORDER BY i.id)
    FROM incidents_involvement i JOIN people_learner l ON l.id = i.learner_id
    WHERE i.concern_id = q.id""",
    "sqlite": """
    SELECT group_concat(name, ', ') FROM (
        SELECT {name} AS name
        FROM incidents_involvement i JOIN people_learner l ON l.id = i.learner_id
        WHERE i.concern_id = q.id ORDER BY i.id)""",
}
#: A learner's name on a dashboard row: `Learner.name` (the preferred name, else the legal
#: first name) and the class, in SQL (tests/incidents/test_dashboard_queues.py checks both).
LEARNER_NAME_SQL = (
    "COALESCE(NULLIF(l.preferred_name, ''), l.legal_first_name) || ' ' || l.legal_last_name"
    " || ' (' || l.class_name || ')'"
)
#: The concern's columns QUEUE_SQL reads.
QUEUE_COLUMNS = (
    "id",
    "status",
    "deadline",
    "reported_at",
    "closed_at",
    "immediate_danger",
    "risk_level",
    "category_id",
    "owner_id",
    "read_at",
)
#: The one timestamp more a queue's rows show (`when`): the new queue's deadline, the
#: closed's date.
QUEUE_WHEN = {"new": "deadline", "closed": "closed_at"}


def _queue_rows(concerns, counted: Q) -> dict[str, tuple[int, list[dict]]]:
    """status -> (how many, the most urgent `QUEUE_SIZE` rows) of the `counted` concerns of
    each status, in one query (QUEUE_SQL). A row: pk, reported_at, immediate_danger,
    risk_level, status, size, when (QUEUE_WHEN), category_name, owner_first, owner_last and
    read (whether it was read) and learners (their names, joined)."""
    inner, params = (
        concerns.filter(counted).order_by().values(*QUEUE_COLUMNS).query.sql_with_params()
    )
    closed = Concern.Status.CLOSED
    with connections[concerns.db].cursor() as cursor:
        learners = QUEUE_LEARNERS[cursor.db.vendor].format(name=LEARNER_NAME_SQL)
        cursor.execute(
            QUEUE_SQL.format(concerns=inner, learners=learners),
            [*params, closed, closed, closed, closed, QUEUE_SIZE],
        )
        found: dict[str, tuple[int, list[dict]]] = {}
        for pk, reported, danger, risk, status, size, deadline, closed_at, *names in cursor:
            category, first, last, read, learners = names
            when = {"deadline": deadline, "closed_at": closed_at}.get(QUEUE_WHEN.get(status))
            row = {
                "pk": pk,
                "reported_at": as_datetime(reported),
                "immediate_danger": bool(danger),
                "risk_level": risk,
                "status": status,
                "when": as_datetime(when),
                "category_name": category,
                "owner_first": first,
                "owner_last": last,
                "read": bool(read),
                "learners": learners or "",
            }
            found.setdefault(status, (size, []))[1].append(row)
    return found


def dashboard_queues(*, concerns, school, now=None) -> list[tuple]:
    """(key, label, how many, the rows of the most urgent `QUEUE_SIZE`, as the page shows
    them) for each queue of `concerns`, and the concerns closed this term, latest first. Two
    queries: the term's start, then the queues with their learners (`_queue_rows`)."""
    term_start = SchoolCalendar(school).current_term_start()
    # From the term's first midnight: a range on closed_at that its index answers.
    since = timezone.make_aware(datetime.combine(term_start, time.min))
    closed = Q(status=Concern.Status.CLOSED, closed_at__gte=since)
    # Only the rows counted are read: the open ones and those closed this term, not every
    # concern the school ever had.
    by_status = _queue_rows(concerns, reduce(operator.or_, [q for _, _, q in QUEUES], closed))
    labels = [(key, label) for key, label, _ in QUEUES] + [("closed", "Closed this term")]
    queues = [(key, label, *by_status.get(key, (0, []))) for key, label in labels]
    now = now or timezone.now()
    link = link_maker("incidents:detail", "#")
    day, moment = formatters()
    risks = dict(Concern.Risk.choices)
    out = []
    for key, label, count, found in queues:
        shown = [_dashboard_row(row, key, now, link, day, moment, risks) for row in found]
        out.append((key, label, count, shown))
    return out


def evidence_check(*, upload, category: Category) -> str:
    """The file's real type (by its content, not its name), or a ValidationError."""
    mime = upload_check(
        upload=upload,
        allowed=IMAGE_TYPES | PDF_TYPES,
        max_bytes=MAX_EVIDENCE_BYTES,
        kinds="an image or a PDF",
    )
    if mime in IMAGE_TYPES and not category.allows_images:
        raise ValidationError(category.no_images_reason or "This category takes no images.")
    return mime


def learner_search(*, school, q: str, limit: int = SEARCH_LIMIT) -> list[Learner]:
    """The school's active learners whose first, preferred or last name starts with each
    word typed (one query). Callers check that the user may look learners up."""
    words = q.split()
    if len(q.strip()) < SEARCH_MIN_CHARS:
        return []
    learners = Learner.objects.filter(school=school, active=True)
    for word in words:
        learners = learners.filter(
            Q(legal_first_name__istartswith=word)
            | Q(preferred_name__istartswith=word)
            | Q(legal_last_name__istartswith=word)
        )
    return list(learners.order_by("legal_last_name", "legal_first_name", "pk")[:limit])


@dataclass(frozen=True)
class ConcernPage:
    """What one concern's page shows to one viewer, and what they may do there."""

    concern: Concern
    #: Sees the whole timeline and may triage; otherwise the reporter's view.
    full: bool
    entries: object
    involvements: object
    #: The evidence the viewer may download.
    evidence: list
    confiscations: object
    referrals_pending: list[str]
    #: Who viewed the record, or was refused it (the full view only), newest first, a page
    #: at a time; `views_older`: where the next page starts (None: no older entries).
    views: object
    views_older: int | None
    views_paged: bool
    can_add: bool
    can_record: bool
    can_chronology: bool
    can_confiscate: bool
    #: Why the viewer may not withdraw it ("" when they may; None: not theirs to withdraw).
    withdraw_refusal: str | None
    #: The concern this one duplicates, when the viewer may open it.
    duplicate_of: Concern | None
    #: The actions on the timeline the viewer may mark done, by entry id.
    may_mark_done: frozenset


#: Rows of "who viewed this record" per page.
VIEWS_PER_PAGE = 50


#: The people an entry names (its author, the owner and the assignee it records, who marked
#: the action done).
ENTRY_PEOPLE = ("author", "owner", "assignee", "action_done_by")


def _with_people(entries: list[Entry]) -> None:
    """Each entry's people, read once for the whole timeline, with only what it shows of them
    (their names): a concern's timeline is hundreds of entries naming a handful of people, and
    joined to each entry every person was read and built again, four times a row."""
    ids = {getattr(e, f"{who}_id") for e in entries for who in ENTRY_PEOPLE} - {None}
    people = {u.pk: u for u in User.objects.filter(pk__in=ids).only(*NAME_FIELDS)} if ids else {}
    for entry in entries:
        for who in ENTRY_PEOPLE:
            pk = getattr(entry, f"{who}_id")
            if pk is not None:
                setattr(entry, who, people[pk])


def concern_page(
    *, concern: Concern, viewer, full: bool, views_before: int | None = None
) -> ConcernPage:
    """The page of `concern` for `viewer`, who may open it (`full`: in full). The reporter's
    view shows the information added (no triage notes) and the evidence they uploaded."""
    school = concern.school_id
    entries = concern.entries.all()
    if full:
        # The whole timeline is shown: its referrals say which are pending, with no query
        # of their own (as `with_referral_entries` would prefetch them).
        entries = list(entries)
        concern.referral_entries = [e for e in entries if e.kind in Entry.RECORDS_REFERRAL]
    else:
        # The reporter's view, and the actions given to them.
        entries = list(
            entries.filter(
                Q(kind__in=Entry.REPORTER_KINDS) | Q(kind=Entry.Kind.ACTION, assignee=viewer)
            )
        )
    _with_people(entries)
    owns = viewer.pk == concern.owner_id or (concern.owner_id is None and full)
    markable = frozenset(
        e.pk
        for e in entries
        if e.kind == Entry.Kind.ACTION
        and not e.action_done
        and not concern.is_ended
        and (owns or e.assignee_id == viewer.pk)
    )
    evidence = [e for e in concern.evidence.all() if full or e.uploaded_by_id == viewer.pk]
    confiscations = (
        # What the page shows of each: its link, device and state (and the concern: the
        # related manager sets it on each row, and a deferred one is a query a row).
        concern.confiscations.only("pk", "device", "state", "concern")
        if permissions.has_perm(viewer, "devices.confiscations", school)
        else []
    )
    views, views_older = [], None
    if full:
        # Paged by the last entry shown, not by page number: each view of this page adds an
        # entry, which would push one row from page to page unseen.
        # As plain rows (named tuples, not 50 models: a tenth of the page's time).
        rows = AccessLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Concern), object_id=concern.pk
        )
        if views_before is not None:
            rows = rows.filter(pk__lt=views_before)
        rows = list(
            rows.order_by("-pk").values_list(
                "pk", "user_name", "at", "action", "what", "outcome", named=True
            )[: VIEWS_PER_PAGE + 1]
        )
        views = rows[:VIEWS_PER_PAGE]
        views_older = rows[VIEWS_PER_PAGE - 1].pk if len(rows) > VIEWS_PER_PAGE else None
    return ConcernPage(
        concern=concern,
        full=full,
        entries=entries,
        # Their names, kind and part: what the page shows of each.
        involvements=concern.involvements.select_related("learner", "staff").only(
            *("concern", "kind", "part", "name", "learner", "staff"),
            *("learner__legal_first_name", "learner__preferred_name", "learner__legal_last_name"),
            *("staff__first_name", "staff__last_name", "staff__username"),
        ),
        evidence=evidence,
        confiscations=confiscations,
        referrals_pending=[Referral(r).label for r in concern.referrals_pending] if full else [],
        views=views,
        views_older=views_older,
        views_paged=views_before is not None,
        can_add=not concern.is_ended,
        can_record=full and not concern.is_ended,
        can_chronology=full and permissions.has_perm(viewer, "learners.chronology", school),
        can_confiscate=not concern.is_ended
        and permissions.has_perm(viewer, "devices.confiscate", school),
        withdraw_refusal=withdraw_refusal(concern=concern, by=viewer, full=full),
        duplicate_of=concern.duplicate_of
        if concern.duplicate_of_id and can_see(viewer, concern.duplicate_of)
        else None,
        may_mark_done=markable,
    )


def concern_viewed(*, concern: Concern, viewer, full: bool) -> None:
    """Every view of a concern is written to the access log; the first view in full by
    someone other than the reporter marks it read."""
    AccessLog.record_access(
        user=viewer, obj=concern, school=concern.school_id, what=f"concern #{concern.pk}"
    )
    if full:
        concern.mark_read(viewer)


def evidence_open(*, evidence: Evidence, by) -> tuple:
    """(file, type, file name) of evidence `by` may download, the download logged. Served by
    what the file is, under a name of ours: never the uploader's name or extension
    (`photo.jpg` that is HTML, `report.pdf` that is a program)."""
    concern = evidence.concern
    AccessLog.record_access(
        user=by,
        obj=concern,
        school=concern.school_id,
        what=f"evidence {evidence.pk} of concern #{concern.pk}",
        action=AccessLog.Action.DOWNLOAD,
    )
    handle = evidence.file.open("rb")
    mime, extension = served_type(handle, allowed=IMAGE_TYPES | PDF_TYPES)
    return handle, mime, f"concern-{concern.pk}-evidence-{evidence.pk}.{extension}"


def _evidence_store(*, concern, upload, mime, by) -> Evidence:
    extension = mimetypes.guess_extension(mime) or ""
    evidence = Evidence(
        concern=concern,
        original_name=upload.name[:200],
        content_type=mime,
        size=upload.size,
        uploaded_by=by,
    )
    evidence.file.save(f"{uuid.uuid4().hex}{extension}", ContentFile(upload.read()), save=False)
    evidence.save()
    return evidence


def concern_report(*, school, reporter, data: dict, involvements: list[dict], files=()) -> Concern:
    """Save a report with the people involved and its evidence, then route it."""
    category = data["category"]
    for upload in files:
        evidence_check(upload=upload, category=category)
    with transaction.atomic():
        concern = Concern.objects.create(school=school, reporter=reporter, **data)
        for person in involvements:
            Involvement(concern=concern, **person).save()
        for upload in files:
            _evidence_store(
                concern=concern,
                upload=upload,
                mime=evidence_check(upload=upload, category=category),
                by=reporter,
            )
        concern_route(concern=concern)
    return concern


def _closed(message: str):
    """The check of `locked` that refuses a change to a closed (or withdrawn) concern."""

    def check(concern):
        if concern.is_withdrawn:
            return concern.ended_message
        return message if concern.is_closed else None

    return check


def concern_add_information(*, concern: Concern, by, text: str, files=()) -> Entry:
    for upload in files:
        evidence_check(upload=upload, category=concern.category)
    # Added while it is being closed: lock the row, and refuse once it is closed.
    with locked(concern, check=_closed(CLOSED_FOR_ADDITIONS)):
        entry = Entry.objects.create(
            concern=concern, kind=Entry.Kind.ADDITION, author=by, text=text
        )
        for upload in files:
            _evidence_store(
                concern=concern,
                upload=upload,
                mime=evidence_check(upload=upload, category=concern.category),
                by=by,
            )
        if concern.owner_id and concern.owner_id != by.pk:
            notification_send(
                recipients=[concern.owner],
                school=concern.school,
                title="New information on a concern you own",
                url=reverse("incidents:detail", args=[concern.pk]),
            )
    return entry


def concern_record(*, concern: Concern, by, kind: str, fields: dict) -> Entry:
    """Record a triage decision, action, referral, parent contact or note, and move the
    concern's status along."""
    if kind == Entry.Kind.ACTION:
        assignee = fields.get("assignee")
        # Checked again here, not only by the form: who may open the concern may have
        # changed since the form was drawn (named as a subject, a role given up).
        if assignee is None or assignee not in action_candidates(concern):
            raise Refused(NOT_A_CANDIDATE)
    # Two DSLs triaging at once: lock the row so status and owner stay consistent.
    with locked(concern, check=_closed("This concern is closed.")) as current:
        entry = Entry.objects.create(concern=current, kind=kind, author=by, **fields)
        if kind == Entry.Kind.ACTION and entry.assignee_id != by.pk:
            notification_send(
                recipients=[entry.assignee],
                school=current.school,
                title="An action on a concern was given to you",
                url=reverse("incidents:detail", args=[current.pk]),
            )
        changed = []
        if kind == Entry.Kind.TRIAGE:
            current.risk_level = entry.risk_level
            changed.append("risk_level")
            if entry.owner_id and entry.owner_id != current.owner_id:
                current.owner_id = entry.owner_id
                changed.append("owner")
                if entry.owner_id != by.pk:
                    notification_send(
                        recipients=[entry.owner],
                        school=current.school,
                        title="A concern has been passed to you",
                        url=reverse("incidents:detail", args=[current.pk]),
                    )
            current.status = (
                Concern.Status.AWAITING_REFERRAL
                if current.referrals_pending
                else Concern.Status.IN_PROGRESS
            )
            changed.append("status")
        elif kind in Entry.RECORDS_REFERRAL and current.status == Concern.Status.AWAITING_REFERRAL:
            if not current.referrals_pending:
                current.status = Concern.Status.IN_PROGRESS
                changed.append("status")
        elif current.status == Concern.Status.NEW:
            current.status = Concern.Status.IN_PROGRESS
            changed.append("status")
        if changed:
            current.save(update_fields=changed)
    concern.refresh_from_db()
    return entry


def concern_close(
    *,
    concern: Concern,
    by,
    decision: str,
    reason: str,
    outcome: str,
    lessons_learnt: str = "",
    policy=None,
    finding: str = "",
) -> Concern:
    """Close with a decision, the reason and the outcome (KCSIE record keeping). Lessons
    learnt with a policy open a review trigger on that policy, in the same transaction."""
    missing = [
        label
        for label, value in (("decision", decision), ("reason", reason), ("outcome", outcome))
        if not value.strip()
    ]
    if missing:
        raise ValidationError(f"Closing needs the {', '.join(missing)}.")
    # Closing twice at once (two tabs): lock the row and refuse a second closure.
    with locked(concern, check=_closed("This concern is already closed.")) as current:
        current.status = Concern.Status.CLOSED
        current.closed_at = timezone.now()
        current.decision, current.closure_reason, current.outcome = decision, reason, outcome
        current.lessons_learnt = lessons_learnt
        current.finding = finding
        current.save()
        Entry.objects.create(
            concern=current,
            kind=Entry.Kind.CLOSURE,
            author=by,
            text=f"Decision: {decision}\nReason: {reason}\nOutcome: {outcome}"
            + (f"\nLessons learnt: {lessons_learnt}" if lessons_learnt else "")
            + (f"\nFinding: {Concern.Finding(finding).label}" if finding else ""),
        )
        if lessons_learnt.strip() and policy is not None:
            # The trigger names no concern: the policy page shows its number only to those
            # who see the concern in full, and nothing to those it is concealed from.
            review_trigger_open(
                policy=policy,
                reason="lessons_learnt",
                by=by,
                note=lessons_learnt,
                source=LESSONS_SOURCE,
                concern_number=current.pk,
                withhold_from=[
                    u
                    for u in Membership.objects.holders(policy.school, permission="policies.manage")
                    if is_concealed(u, current.pk)
                ],
            )
    concern.refresh_from_db()
    return concern


# -- Actions ------------------------------------------------------------------------------


def action_done(*, action: Entry, by) -> Entry:
    """Mark an action done, by whoever it was given to or the concern's owner
    (`visibility.may_mark_done`); who and when are kept."""
    concern = action.concern
    if concern.is_ended:
        raise Refused(concern.ended_message)
    if not may_mark_done(by, action):
        raise Refused(
            "Only the person the action was given to, or the concern's owner, can mark it done."
        )
    # Marked done from two tabs (the assignee and the owner at once): lock the row.
    with locked(
        action, check=lambda a: "This action is already done." if a.action_done else None
    ) as row:
        row.action_done = True
        row.action_done_at = timezone.now()
        row.action_done_by = by
        row.save(update_fields=["action_done", "action_done_at", "action_done_by"])
    return row


def actions_for(*, user, school):
    """The actions given to `user` in `school` that are not done, on concerns they may still
    open and that are not closed or withdrawn, the soonest due first."""
    return (
        Entry.objects.actions_open()
        .filter(
            assignee=user,
            concern__school=school,
            concern__in=concerns_visible_to(user).values("pk"),
        )
        # What the list shows (incidents/partials/_actions.html): the concern's number, not
        # its row and its category's, which were most of what came back.
        .only("concern_id", "action_due", "text")
        .order_by(F("action_due").asc(nulls_last=True), "at")
    )


# -- Withdrawal ---------------------------------------------------------------------------


def withdraw_refusal(*, concern: Concern, by, full: bool) -> str | None:
    """Why `by` may not withdraw `concern` now ("" when they may). None: not theirs to
    withdraw at all — they neither see it in full nor reported it. The reporter withdraws
    their own report until it has been triaged; after that, whoever sees it in full does
    (a reporter pressed to drop a report cannot take it out of the DSL's queues)."""
    if not full and concern.reporter_id != by.pk:
        return None
    if concern.is_withdrawn:
        return "This concern was already withdrawn."
    if concern.is_closed:
        return "This concern is closed: a closed concern cannot be withdrawn."
    if not full and concern.status != Concern.Status.NEW:
        return (
            "The DSL has already started work on this concern, so only they can withdraw it. "
            "Add information to tell them it is a duplicate."
        )
    return ""


def duplicate_target(*, concern: Concern, by, number: int) -> Concern | None:
    """The concern numbered `number` that `by` may open in the same school (not `concern`
    itself), or None: a number they may not open reads as one that does not exist."""
    return (
        concerns_visible_to(by)
        .filter(school_id=concern.school_id, pk=number)
        .exclude(pk=concern.pk)
        .first()
    )


def concern_withdraw(
    *,
    concern: Concern,
    by,
    full: bool,
    withdrawn_as: str,
    reason: str,
    duplicate_of: Concern | None = None,
) -> Concern:
    """Withdraw a concern reported twice or in error. Nothing is deleted: it leaves the
    queues and the governors' figures, its page says who withdrew it, when and why, and the
    timeline keeps the withdrawal. The owner, those it was routed to and the reporter are
    told (never the child's name: a link)."""
    if not reason.strip():
        raise ValidationError("Say why the concern is withdrawn.")
    if duplicate_of is not None and (
        duplicate_of.pk == concern.pk
        or duplicate_target(concern=concern, by=by, number=duplicate_of.pk) is None
    ):
        raise Refused("Give the number of a concern you can open in this school.")
    if duplicate_of is not None and duplicate_of.is_withdrawn:
        raise Refused(
            f"Concern #{duplicate_of.pk} was withdrawn itself: give the number of the concern "
            "that is kept."
        )

    def check(current):
        return withdraw_refusal(concern=current, by=by, full=full) or None

    # Withdrawn while it is being triaged or closed: lock the row, check its state again.
    with locked(concern, check=check) as current:
        current.status = Concern.Status.WITHDRAWN
        current.withdrawn_at = timezone.now()
        current.withdrawn_by = by
        current.withdrawn_as = withdrawn_as
        current.withdrawn_reason = reason.strip()
        current.duplicate_of = duplicate_of
        current.save()
        label = Concern.Withdrawal(withdrawn_as).label
        # Never the other concern's number: the reporter reads this entry, and the other
        # concern may be one they may not know of (an allegation about them). The page links
        # to it for those who may open it (`concern_page`, `duplicate_of`).
        Entry.objects.create(
            concern=current,
            kind=Entry.Kind.WITHDRAWAL,
            author=by,
            text=f"{label}. Reason: {current.withdrawn_reason}",
        )
        told = {
            u.pk: u
            for u in [current.owner, current.reporter, *current.routed_to.all()]
            if u is not None and u.is_active and u.pk != by.pk
        }
        recipients = [u for u in told.values() if can_see(u, current)]
        if recipients:
            notification_send(
                recipients=recipients,
                school=current.school,
                title="A concern was withdrawn",
                url=reverse("incidents:detail", args=[current.pk]),
            )
    concern.refresh_from_db()
    return concern


def filtering_review_record(*, school, by, form) -> FilteringReview:
    """Save a filtering and monitoring review (a valid `FilteringReviewForm`). Who recorded
    it and when are kept on the row, and every change in its history (simple-history)."""
    review = form.save(commit=False)
    review.school = school
    review.recorded_by = by
    review.recorded_at = timezone.now()
    review.save()
    return review


def filtering_review_state(*, school, today) -> dict:
    """The latest review of the school and whether the next one is due soon or overdue."""
    latest = FilteringReview.objects.filter(school=school).first()
    if latest is None:
        return {"latest": None, "overdue": True, "due_soon": False}
    return {
        "latest": latest,
        "overdue": latest.next_review_on < today,
        "due_soon": today <= latest.next_review_on <= today + FILTERING_REMINDER_BEFORE,
    }
