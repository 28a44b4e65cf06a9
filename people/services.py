"""Previewing and applying imports of learners and their parents/carers (the importer is
people/importer.py); people's roles (granting a safeguarding role needs approval) and
resetting a person's two-factor sign-in."""

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from people.importer import (
    STAFF_ROLES,
    ImportRefused,
    Parsed,
    Plan,
    Problem,
    Row,
    import_apply,
    import_plan,
    rows_check,
    rows_from_csv,
    staff_rows_check,
    staff_rows_from_csv,
)
from people.mis.base import MisError
from people.mis.wonde import WondeAdapter
from people.models import (
    AuditEntry,
    ImportRun,
    Learner,
    Membership,
    MisConnection,
    RoleRequest,
    School,
)
from roper.errors import Refused
from roper.locking import locked
from roper.notifications import notification_send
from roper.permissions import has_perm, holders, schools_with
from roper.roles import READS_SAFEGUARDING, Role
from roper.sessions import sessions_end

log = logging.getLogger(__name__)

#: How long a preview waits to be applied before its rows are forgotten (roper jobs).
IMPORT_PREVIEW_KEEP = timedelta(days=1)
IMPORT_MAX_BYTES = 10 * 1024 * 1024


#: What a run that failed for an unforeseen reason says (a row Roper cannot use is skipped
#: and named in the preview, so this is an error in Roper, not in the file).
IMPORT_FAILED = (
    "Roper could not apply this import, so nothing was changed. The fault is Roper's, not a "
    "row of your data (a row Roper cannot use is skipped and listed, never a reason to stop). "
    "Try again: upload the file once more (a sync tries again by itself). If it fails again, "
    "tell whoever supports Roper at your school the date and time of this import; the "
    "details are in Roper's log."
)


def _progress_key(run_id: int) -> str:
    return f"people:import:{run_id}:progress"


def import_progress(run: ImportRun) -> tuple[int, int]:
    """(rows done, rows in all) of a run being applied, as the page polls it. Kept in the
    shared cache: the apply's transaction is not visible until it commits."""
    done, total = cache.get(_progress_key(run.pk), (0, len(run.rows)))
    return done, total


def import_preview(
    *,
    school: School,
    parsed: Parsed,
    by,
    full_roll: bool,
    filename: str = "",
    kind: str = ImportRun.Kind.LEARNERS,
) -> ImportRun:
    """Record what applying `parsed` would do, for the admin to read and apply."""
    if kind == ImportRun.Kind.STAFF:
        plan, full_roll = staff_plan(school=school, parsed=parsed), False
    else:
        plan = import_plan(school=school, parsed=parsed, full_roll=full_roll)
    return ImportRun.objects.create(
        school=school,
        kind=kind,
        created_by=by,
        source=parsed.source,
        filename=filename[:200],
        full_roll=full_roll,
        rows=[row.to_json() for row in parsed.rows],
        skipped_upns=sorted(parsed.skipped_upns),
        plan=plan.to_json(),
    )


def import_csv_preview(
    *, school: School, upload, by, full_roll: bool, kind: str = ImportRun.Kind.LEARNERS
) -> ImportRun:
    """An uploaded CSV checked and previewed; ImportRefused says why a file cannot be used.
    The file is read in memory and not stored: the run keeps the checked rows only."""
    if upload.size > IMPORT_MAX_BYTES:
        raise ImportRefused([f"The file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB."])
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")  # SIMS reports saved by Excel on Windows
        except UnicodeDecodeError:
            raise ImportRefused(["The file is not a CSV text file (save it as CSV)."]) from None
    if "\x00" in text:
        raise ImportRefused(["The file is not a CSV text file (save it as CSV)."])
    parsed = staff_rows_from_csv(text) if kind == ImportRun.Kind.STAFF else rows_from_csv(text)
    return import_preview(
        school=school, parsed=parsed, by=by, full_roll=full_roll, filename=upload.name, kind=kind
    )


def _parsed(run: ImportRun) -> Parsed:
    return Parsed(
        rows=[Row.from_json(r) for r in run.rows],
        problems=[Problem(**p) for p in run.plan.get("problems", [])],
        source=run.source,
        skipped_upns=set(run.skipped_upns),
    )


def import_run_start(*, run: ImportRun, by, staff_role: str = "") -> bool:
    """Claim a previewed run for applying and enqueue the work. False when it was claimed
    already (a second click, a second tab): it is applied once. `staff_role`: the role the
    admin chose for new staff accounts (none made without one)."""
    if staff_role and staff_role not in STAFF_ROLES:
        raise Refused("New staff accounts may be given the Staff or Office role only.")
    with transaction.atomic():
        # Two clicks on Apply at once: the second waits here, then finds the run claimed.
        claimed = ImportRun.objects.select_for_update().get(pk=run.pk)
        if claimed.status != ImportRun.Status.PREVIEW:
            return False
        claimed.status = ImportRun.Status.APPLYING
        claimed.applied_by = by
        claimed.staff_role = staff_role if claimed.kind == ImportRun.Kind.STAFF else ""
        claimed.save(update_fields=["status", "applied_by", "staff_role"])
        cache.set(_progress_key(run.pk), (0, len(claimed.rows)), 3600)
        from people.tasks import import_apply_task

        transaction.on_commit(lambda: import_apply_task.delay(run.pk))
    run.refresh_from_db()
    return True


def import_run_apply(*, run_id: int) -> ImportRun:
    """Apply a claimed run (the task's work): all of it in one transaction, or none."""
    run = ImportRun.objects.select_related("school").get(pk=run_id)
    if run.status != ImportRun.Status.APPLYING:
        return run

    def progress(done, total):
        cache.set(_progress_key(run.pk), (done, total), 3600)

    try:
        if run.kind == ImportRun.Kind.STAFF:
            plan = staff_apply(run=run)
        else:
            plan = import_apply(
                school=run.school, parsed=_parsed(run), full_roll=run.full_roll, progress=progress
            )
    except Exception:
        # Not re-raised: without a broker the task runs inside the admin's Apply click, which
        # would end on a server error page. The run says what happened in words; the log keeps
        # the traceback for whoever supports the school.
        log.exception("Import run %s of school %s failed", run.pk, run.school_id)
        run.status = ImportRun.Status.FAILED
        run.rows = []
        run.plan = {**run.plan, "failure": IMPORT_FAILED}
        run.save(update_fields=["status", "rows", "plan"])
        return run
    run.status = ImportRun.Status.APPLIED
    run.applied_at = timezone.now()
    run.plan = plan.to_json()
    run.rows = []  # applied: the learners' details now live in Roper's records only
    run.skipped_upns = []
    run.save(update_fields=["status", "applied_at", "plan", "rows", "skipped_upns"])
    return run


def _staff_accounts(school: School, emails) -> tuple[dict, set]:
    """{email: user} of the accounts with these emails, and the ids of those that are this
    school's (a membership of it)."""
    User = get_user_model()
    users = {}
    for user in User.objects.annotate(lower=Lower("email")).filter(lower__in=list(emails)):
        users.setdefault(user.email.lower(), user)
    mine = set(
        Membership.objects.filter(school=school, user__in=users.values()).values_list(
            "user_id", flat=True
        )
    )
    return users, mine


def staff_plan(*, school: School, parsed: Parsed) -> Plan:
    """Staff accounts to create (only if the admin chooses a role when applying) and names to
    change. An email of an account that is not this school's is a problem: the school does
    not take over another's account. Nobody is marked as left from a file."""
    plan = Plan(problems=[asdict(p) for p in parsed.problems])
    users, mine = _staff_accounts(school, [row.upn for row in parsed.rows])
    for row in parsed.rows:
        user = users.get(row.upn)
        name = f"{row.learner['first_name']} {row.learner['last_name']} ({row.upn})"
        if user is None:
            plan.created.append({"line": row.line, "upn": row.upn, "name": name})
        elif user.pk not in mine or user.is_superuser:
            plan.problems.append(
                {
                    "line": row.line,
                    "reason": f"{row.upn} has an account this school does not "
                    "manage: nothing was changed for it",
                }  # fmt: skip
            )
        else:
            fields = [f for f, v in row.learner.items() if getattr(user, f) != v]
            if fields:
                plan.changed.append(
                    {"line": row.line, "upn": row.upn, "name": name, "fields": fields}
                )
            else:
                plan.unchanged += 1
    return plan


def staff_apply(*, run: ImportRun) -> Plan:
    """New accounts (with the role the admin chose, or none made) and changed names, in one
    transaction. A new account has no password: its owner signs in with the school's single
    sign-on, or sets one through "Forgotten your password?"."""
    User = get_user_model()
    parsed = _parsed(run)
    with transaction.atomic():
        plan = staff_plan(school=run.school, parsed=parsed)
        rows = {row.upn: row for row in parsed.rows}
        users, _ = _staff_accounts(run.school, rows)
        if not run.staff_role:
            plan.unchanged += len(plan.created)
            plan.created = []
        for item in plan.created:
            row = rows[item["upn"]]
            user = User(username=row.upn, email=row.upn, **row.learner)
            user.set_unusable_password()
            user.save()
            membership = Membership(user=user, school=run.school)
            membership_roles_set(membership=membership, roles=[run.staff_role], by=run.applied_by)
        for item in plan.changed:
            user = users[item["upn"]]
            for f, v in rows[item["upn"]].learner.items():
                setattr(user, f, v)
            user.save(update_fields=list(rows[item["upn"]].learner))
    return plan


def import_run_discard(*, run: ImportRun) -> None:
    updated = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.PREVIEW).update(
        status=ImportRun.Status.DISCARDED, rows=[], skipped_upns=[]
    )
    if updated:
        run.refresh_from_db()


def import_previews_forget(*, now=None) -> int:
    """Previews nobody applied within IMPORT_PREVIEW_KEEP: their rows forgotten."""
    now = now or timezone.now()
    return ImportRun.objects.filter(
        status=ImportRun.Status.PREVIEW, created_at__lt=now - IMPORT_PREVIEW_KEEP
    ).update(status=ImportRun.Status.DISCARDED, rows=[], skipped_upns=[])


#: A sync is applied by itself unless it would mark more than this share of the roll as left
#: (an empty or partial answer from the provider): then it waits as a preview for the admin.
MIS_SYNC_MAX_LEFT = 0.2
MIS_SYNC_EVERY = timedelta(hours=20)


def mis_adapter(connection: MisConnection):
    if connection.provider == MisConnection.Provider.WONDE:
        return WondeAdapter(school_id=connection.external_id, token=connection.token)
    raise ValueError(f"Unknown MIS provider {connection.provider!r}")


def mis_sync(*, connection: MisConnection, adapter=None) -> ImportRun | None:
    """Read the school's roll from its MIS and apply it through the importer, as a whole-roll
    file: leavers marked, rows with a problem skipped. The admins are told of problems, of a
    failure, and of a sync held back for them to check. None when the MIS could not be read."""
    school = connection.school
    adapter = adapter or mis_adapter(connection)
    now = timezone.now()
    try:
        students = list(adapter.students())
    except MisError as exc:
        MisConnection.objects.filter(pk=connection.pk).update(
            last_synced_at=now, last_outcome=f"Failed: {exc}"[:200]
        )
        _tell_admins(school, f"The MIS sync failed: {exc} Nothing was changed.", "")
        return None
    parsed = rows_check(enumerate(students, start=1), source=adapter.source)
    run = import_preview(school=school, parsed=parsed, by=None, full_roll=True)
    roll = Learner.objects.filter(school=school, active=True).count()
    left = len(run.plan["left"])
    held = not parsed.rows or (roll and left > MIS_SYNC_MAX_LEFT * roll)
    if held:
        outcome = f"Held for you to check: it would mark {left} of {roll} learners as left."
    else:
        run.status = ImportRun.Status.APPLYING
        run.save(update_fields=["status"])
        run = import_run_apply(run_id=run.pk)
        plan = run.plan
        if run.status == ImportRun.Status.FAILED:
            outcome = "Failed: nothing was changed. Open the import to see why."
        else:
            outcome = (
                f"{len(plan['created'])} added, {len(plan['changed'])} changed, "
                f"{len(plan['left'])} marked as left, {len(plan['problems'])} skipped"
                + (f", {len(plan['warnings'])} to check." if plan.get("warnings") else ".")
            )
    staff = _mis_staff(school=school, adapter=adapter)  # told of apart, when anything to do
    MisConnection.objects.filter(pk=connection.pk).update(
        last_synced_at=now, last_outcome=(outcome + staff)[:200]
    )
    failed = run.status == ImportRun.Status.FAILED
    if held or failed or run.plan["problems"] or run.plan.get("warnings"):
        _tell_admins(school, f"MIS sync: {outcome}", reverse("people:import_run", args=[run.pk]))
    return run


def _mis_staff(*, school: School, adapter) -> str:
    """The MIS's staff, previewed as a staff file is, never applied by the sync: new accounts
    and changed names wait for an admin, who chooses the role of new accounts (a sync gives
    no one a role, as a file does not). Returns what to add to the sync's outcome."""
    try:
        records = list(enumerate(adapter.employees(), start=1))
    except MisError as exc:
        return f" Staff not read: {exc}"
    if not records:
        return ""
    parsed = staff_rows_check(records, source=adapter.source)
    plan = staff_plan(school=school, parsed=parsed)
    if not (plan.created or plan.changed):
        return " Staff: no changes."
    waiting = ImportRun.objects.filter(
        school=school, kind=ImportRun.Kind.STAFF, status=ImportRun.Status.PREVIEW, created_by=None
    )
    waiting.update(status=ImportRun.Status.DISCARDED, rows=[], skipped_upns=[])  # the newest only
    run = import_preview(
        school=school, parsed=parsed, by=None, full_roll=False, kind=ImportRun.Kind.STAFF
    )
    note = f"Staff: {len(plan.created)} to add and {len(plan.changed)} to change, for you to check."
    _tell_admins(school, f"MIS sync: {note}", reverse("people:import_run", args=[run.pk]))
    return f" {note}"


def _tell_admins(school: School, title: str, url: str) -> None:
    admins = holders(school, "people.import")
    if admins:
        notification_send(recipients=admins, school=school, title=title[:200], url=url)


def mis_syncs_due(*, now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        MisConnection.objects.filter(enabled=True)
        .filter(Q(last_synced_at__isnull=True) | Q(last_synced_at__lt=now - MIS_SYNC_EVERY))
        .values_list("pk", flat=True)
    )


#: Granting one of these roles needs approval (the headteacher's; the chair's for the head).
NEEDS_APPROVAL = READS_SAFEGUARDING
A = AuditEntry.Action


@dataclass
class RolesChange:
    granted: list[str] = field(default_factory=list)
    requested: list[RoleRequest] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _in_order(roles) -> list[str]:
    return [r for r in Role.values if r in roles]


@transaction.atomic
def membership_roles_set(*, membership: Membership, roles: list[str], by) -> RolesChange:
    """Give a school membership these roles. A removed role goes at once; an added role goes
    at once unless it reads safeguarding records: then it waits for approval as a
    RoleRequest (a superuser, who runs the server, grants it at once). Each step is audited.
    Saves the membership (a new one may have no role until a request is approved)."""
    if membership.school_id is None:
        raise ValueError("Trust memberships are set by a superuser, not through this service.")
    old = set()
    if membership.pk:
        # Two admins saving the same membership at once: the second sees the first's roles
        # (the row stays locked until this service's transaction ends).
        with locked(membership) as current:
            old = set(current.roles)
    new = set(roles)
    change = RolesChange(removed=_in_order(old - new))
    added = new - old
    waiting = set() if by.is_superuser else added & NEEDS_APPROVAL
    change.granted = _in_order(added - waiting)
    membership.roles = _in_order((old - set(change.removed)) | set(change.granted))
    membership.save()
    school, subject = membership.school, membership.user
    for role in change.removed:
        AuditEntry.record(
            school=school, action=A.ROLE_REMOVED, actor=by, subject=subject, role=role
        )
    for role in change.granted:
        AuditEntry.record(
            school=school, action=A.ROLE_GRANTED, actor=by, subject=subject, role=role
        )
    for role in _in_order(waiting):
        request, created = RoleRequest.objects.get_or_create(
            school=school,
            user=subject,
            kind=RoleRequest.Kind.ROLE,
            role=role,
            status=RoleRequest.Status.PENDING,
            defaults={"requested_by": by},
        )
        change.requested.append(request)
        if created:
            AuditEntry.record(
                school=school, action=A.ROLE_REQUESTED, actor=by, subject=subject, role=role
            )
            _notify_approvers(request)
    return change


_WAITING_TITLE = {
    RoleRequest.Kind.ROLE: "A safeguarding role is waiting for your approval",
    RoleRequest.Kind.PASSWORD: "A new password for someone who reads safeguarding records is "
    "waiting for your approval",
    RoleRequest.Kind.EMAIL: "A new email for someone who reads safeguarding records is "
    "waiting for your approval",
    RoleRequest.Kind.TWO_FACTOR: "A two-factor reset for someone who reads safeguarding "
    "records is waiting for your approval",
}


def _notify_approvers(request: RoleRequest) -> None:
    approvers = Membership.objects.holders(request.school, permission=request.approver_permission)
    notification_send(
        recipients=[u for u in approvers if u.pk != request.user_id],
        school=request.school,
        title=_WAITING_TITLE[request.kind],
        url=reverse("people:role_requests"),
    )


@transaction.atomic
def membership_remove(*, membership: Membership, by) -> None:
    """Remove a membership (every role in it goes; no approval needed), audited."""
    if membership.school_id is not None:
        for role in _in_order(membership.roles):
            AuditEntry.record(
                school=membership.school_id,
                action=A.ROLE_REMOVED,
                actor=by,
                subject=membership.user,
                role=role,
            )
    membership.delete()


APPROVES = ("people.roles.approve", "people.roles.approve_headteacher")


def role_requests_decidable(*, user, requests) -> list[RoleRequest]:
    """Of these requests, the ones this user may decide: their school's, the role their own
    roles approve (roper/roles.py), and never one about themself."""
    return [
        r
        for r in requests
        if r.user_id != user.pk and has_perm(user, r.approver_permission, r.school_id)
    ]


def role_requests_waiting_count(user, school) -> int:
    """How many requests wait for this user's decision in this school (the navigation)."""
    if not any(has_perm(user, permission, school) for permission in APPROVES):
        return 0
    pending = RoleRequest.objects.filter(school=school, status=RoleRequest.Status.PENDING).exclude(
        user=user
    )
    return len(role_requests_decidable(user=user, requests=pending.only("school", "user", "role")))


def role_requests_schools(user) -> list[int]:
    """The schools where this user approves something."""
    return sorted({s for permission in APPROVES for s in schools_with(user, permission)})


def role_requests_visible(user):
    """The requests of the schools where this user approves something."""
    return RoleRequest.objects.filter(school_id__in=role_requests_schools(user))


def role_request_decide(*, request: RoleRequest, by, approve: bool) -> RoleRequest:
    """Approve (the role is added to the membership and the person's sessions end, or the
    change is made) or decline a pending request. Whether `by` may decide it is the view's
    question (roper.permissions); nobody decides a request about themself. The admin who
    asked, and the person it is about, are told."""
    if by.pk == request.user_id:
        raise PermissionDenied("Nobody approves a request about themself.")
    # Two approvers deciding at once: the second finds it decided.
    with locked(request, check=RoleRequest.decided_refusal) as request:
        request.status = RoleRequest.Status.APPROVED if approve else RoleRequest.Status.DECLINED
        request.decided_by = by
        request.decided_at = timezone.now()
        detail = _change_detail(request)
        if request.kind == RoleRequest.Kind.ROLE:
            _role_decided(request, approve)
            action = A.ROLE_APPROVED if approve else A.ROLE_DECLINED
        else:
            if approve:
                _change_make(request)
            action = A.CHANGE_APPROVED if approve else A.CHANGE_DECLINED
        request.new_password = ""  # nosec B105 - clears the waiting hash once used or refused
        request.save()
        AuditEntry.record(
            school=request.school_id,
            action=action,
            actor=by,
            subject=request.user,
            role=request.role,
            detail=detail,
        )
        outcome = "approved" if approve else "declined"
        if request.requested_by_id:
            notification_send(
                recipients=[request.requested_by],
                school=request.school,
                title=f"A change you asked for was {outcome}: {request.summary}",
                url=reverse("admin:people_rolerequest_changelist"),
            )
        if request.kind != RoleRequest.Kind.ROLE:
            notification_send(
                recipients=[request.user],
                school=request.school,
                title=f"The IT admin's change to your sign-in was {outcome}: {request.summary}. "
                "If you did not ask for it, tell your headteacher.",
            )
    if approve and request.kind == RoleRequest.Kind.ROLE:
        # A session opened before (on a shared computer, or by someone who signed in then) does
        # not become a safeguarding one unseen: the person signs in again, with two-factor.
        sessions_end(user_id=request.user_id)
    return request


def _role_decided(request: RoleRequest, approve: bool) -> None:
    # Another decision on the same person's membership at once: the second sees the first.
    with locked(
        Membership.objects.filter(user_id=request.user_id, school_id=request.school_id)
    ) as membership:
        _membership_decided(request, membership, approve)


def _membership_decided(request: RoleRequest, membership, approve: bool) -> None:
    if approve:
        if membership is None:
            membership = Membership(user_id=request.user_id, school_id=request.school_id)
        membership.roles = _in_order({*(membership.roles or []), request.role})
        membership.save()
    elif membership is not None and not membership.roles:
        still_waiting = RoleRequest.objects.filter(
            user_id=request.user_id,
            school_id=request.school_id,
            kind=RoleRequest.Kind.ROLE,
            status=RoleRequest.Status.PENDING,
        ).exclude(pk=request.pk)
        if not still_waiting.exists():
            membership.delete()  # added only for this role: nothing left to belong by


# Sign-in changes: a new password, email or two-factor reset made by the school's admin.
# For someone who reads safeguarding records (or has been asked such a role), the three
# together would let the admin sign in as them and read concerns: from anyone but a
# superuser, such a change waits for the approval a safeguarding role needs (RoleRequest).


def sign_in_approval_needed(*, user, by) -> tuple[int, str] | None:
    """(school id, role) that makes a change to `user`'s sign-in by `by` wait for approval
    (a new password, email or two-factor reset) or be refused (a single sign-on identity
    linked by the admin, sso.services), or None: the headteacher role first (the chair
    approves those), else another role that reads safeguarding records, held (in a school,
    or in every school of a trust) or asked for. Asked for counts: the change made first and
    the role approved after, whoever made the change would sign in to a safeguarding role."""
    if by.is_superuser:
        return None
    memberships = Membership.objects.filter(user=user).annotate(
        for_school=Coalesce("school_id", "trust__schools__id")
    )
    held = [
        (m.for_school, role)
        for m in memberships
        if m.for_school is not None
        for role in m.roles
        if role in NEEDS_APPROVAL
    ]
    held += RoleRequest.objects.filter(
        user=user,
        kind=RoleRequest.Kind.ROLE,
        status=RoleRequest.Status.PENDING,
        role__in=NEEDS_APPROVAL,
    ).values_list("school_id", "role")
    if not held:
        return None
    return min(held, key=lambda school_role: school_role[1] != Role.HEADTEACHER)


def _change_detail(request: RoleRequest) -> str:
    if request.kind == RoleRequest.Kind.PASSWORD:
        return "new password"
    if request.kind == RoleRequest.Kind.EMAIL:
        return f"email to {request.new_email} (was {request.user.email})"
    if request.kind == RoleRequest.Kind.TWO_FACTOR:
        return "two-factor sign-in reset"
    return ""


def _change_request(*, user, by, kind: str, where: tuple[int, str], **values) -> RoleRequest:
    """Ask for the change; a second ask while one waits replaces what it asks."""
    school_id, role = where
    request, _ = RoleRequest.objects.update_or_create(
        school_id=school_id,
        user=user,
        kind=kind,
        role=role,
        status=RoleRequest.Status.PENDING,
        defaults={"requested_by": by, **values},
    )
    AuditEntry.record(
        school=school_id,
        action=A.CHANGE_REQUESTED,
        actor=by,
        subject=user,
        role=role,
        detail=_change_detail(request),
    )
    _notify_approvers(request)
    notification_send(
        recipients=[user],
        school=request.school,
        title=f"The IT admin asked for a change to your sign-in: {request.summary}. It waits "
        "for approval; if you did not ask for it, tell your headteacher.",
    )
    return request


def _change_make(request: RoleRequest) -> None:
    user = request.user
    if request.kind == RoleRequest.Kind.PASSWORD:
        user.password = request.new_password
        user.save(update_fields=["password"])  # their other sessions end
    elif request.kind == RoleRequest.Kind.EMAIL:
        user.email = request.new_email
        user.save(update_fields=["email"])
    elif request.kind == RoleRequest.Kind.TWO_FACTOR:
        _two_factor_remove(user=user, school=request.school)


@transaction.atomic
def user_password_set(*, user, password: str | None, by) -> RoleRequest | None:
    """Set a person's password (None: no password sign-in), audited. A new password for
    someone who reads safeguarding records waits for approval: the request is returned, and
    only a hash of the password is kept. Turning password sign-in off takes no one's account
    over, and is done at once."""
    where = sign_in_approval_needed(user=user, by=by) if password is not None else None
    if where is not None:
        return _change_request(
            user=user,
            by=by,
            kind=RoleRequest.Kind.PASSWORD,
            where=where,
            new_password=make_password(password),
        )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    for school in _schools_of(user):
        AuditEntry.record(
            school=school,
            action=A.PASSWORD_SET,
            actor=by,
            subject=user,
            detail="new password" if password is not None else "password sign-in turned off",
        )
    return None


@transaction.atomic
def user_email_set(*, user, email: str, by) -> RoleRequest | None:
    """Change a person's email (where their password resets go), audited; for someone who
    reads safeguarding records it waits for approval, and the request is returned."""
    old = type(user).objects.get(pk=user.pk).email
    if email == old:
        return None
    user.email = old  # until it is made
    where = sign_in_approval_needed(user=user, by=by)
    if where is not None:
        return _change_request(
            user=user, by=by, kind=RoleRequest.Kind.EMAIL, where=where, new_email=email
        )
    user.email = email
    user.save(update_fields=["email"])
    for school in _schools_of(user):
        AuditEntry.record(
            school=school,
            action=A.EMAIL_CHANGED,
            actor=by,
            subject=user,
            detail=f"email to {email} (was {old})",
        )
    return None


def own_password_audit(sender, *, user, how: str, **kwargs) -> None:
    """A person changed their own password (roper.passwords.password_changed): audited in
    each of their schools, as a password the IT admin sets."""
    detail = "changed by themselves" if how == "changed" else "reset by an emailed link"
    for school in _schools_of(user):
        AuditEntry.record(
            school=school, action=A.PASSWORD_SET, actor=user, subject=user, detail=detail
        )


def _schools_of(user) -> list[int]:
    return list(
        Membership.objects.filter(user=user, school__isnull=False).values_list(
            "school_id", flat=True
        )
    )


@transaction.atomic
def two_factor_reset(*, user, school: School, by) -> RoleRequest | None:
    """Remove a person's authenticator app and backup codes, so that they enrol again at
    their next sign-in; audited, and the person is told in Roper and by email (if it was
    not them who asked, they tell the school). For someone who reads safeguarding records
    it waits for approval, and the request is returned."""
    where = sign_in_approval_needed(user=user, by=by)
    if where is not None:
        return _change_request(user=user, by=by, kind=RoleRequest.Kind.TWO_FACTOR, where=where)
    _two_factor_remove(user=user, school=school)
    AuditEntry.record(school=school, action=A.TWO_FACTOR_RESET, actor=by, subject=user)
    return None


def _two_factor_remove(*, user, school) -> None:
    for device in devices_for_user(user, confirmed=None):
        device.delete()
    notification_send(
        recipients=[user],
        school=school,
        title="Your two-factor sign-in was reset by your school's IT admin. "
        "If you did not ask for this, tell your headteacher.",
        url=reverse("two_factor_setup"),
    )


# What the approver of a safeguarding role reads about the account it is for. Nobody can
# prove who is behind an account: a password the admin set for a teacher, an email changed
# to one of theirs, an identity they linked, a two-factor reset, all made before the role was
# asked for (when no approval was needed), would become ways into the DSL's account. The
# approver is shown each way in and who last changed it, and warned of a recent change made
# by someone other than the person, to ask them about it.

#: A change to someone's sign-in made by another person this recently is pointed out.
SIGN_IN_CHANGE_RECENT = timedelta(days=90)


@dataclass
class SignInFact:
    """One way into an account, as the approver reads it: `label` ("Password") and `text`
    ("set by Alex Admin on 3 Dec 2025"); when someone other than the person changed it last,
    `changed_at` and `warning` (what to ask the person)."""

    label: str
    text: str
    changed_at: datetime | None = None
    warning: str = ""


@dataclass
class SignInFacts:
    facts: list[SignInFact]
    warnings: list[str]


#: Functions (keyword arguments `user`, `school_id`) returning more SignInFacts of an account,
#: from the apps above people: sso registers its linked identities (its AppConfig.ready).
SIGN_IN_FACT_SOURCES: list = []


def sign_in_facts_register(source) -> None:
    if source not in SIGN_IN_FACT_SOURCES:
        SIGN_IN_FACT_SOURCES.append(source)


def sign_in_date(at) -> str:
    return date_format(timezone.localtime(at), "j M Y")


def sign_in_fact(
    *, user, label: str, text: str, at=None, by_id=None, by_name="", warning=None
) -> SignInFact:
    """A fact last changed at `at` by the user `by_id` (named `by_name`). When that was
    someone other than `user`, `warning(name, date, person)` says what to ask the person."""
    if at is None:
        return SignInFact(label, text)
    date = sign_in_date(at)
    if by_id == user.pk:
        return SignInFact(label, f"{text} by themselves on {date}")
    name = by_name or "someone else"
    person = user.get_short_name() or user.get_username()
    return SignInFact(
        label,
        f"{text} by {name} on {date}",
        changed_at=at,
        warning=warning(name, date, person) if warning else "",
    )


def _last_sign_in_changes(user, school_id: int) -> dict[str, tuple]:
    """{audit action: (when, by id, by name)} of the last password, email and two-factor
    change of the account: made at once (the audit trail) or approved (the admin who asked
    chose it)."""
    changes = [
        (entry.action, entry.at, entry.actor_id, entry.actor_name)
        for entry in AuditEntry.objects.filter(
            school_id=school_id,
            subject_id=user.pk,
            action__in=[A.PASSWORD_SET, A.EMAIL_CHANGED, A.TWO_FACTOR_RESET],
        ).exclude(detail="password sign-in turned off")  # no way in
    ]
    made = {
        RoleRequest.Kind.PASSWORD: A.PASSWORD_SET,
        RoleRequest.Kind.EMAIL: A.EMAIL_CHANGED,
        RoleRequest.Kind.TWO_FACTOR: A.TWO_FACTOR_RESET,
    }
    approved = RoleRequest.objects.filter(
        school_id=school_id, user_id=user.pk, status=RoleRequest.Status.APPROVED
    ).exclude(kind=RoleRequest.Kind.ROLE)
    for change in approved.select_related("requested_by"):
        by = change.requested_by
        name = (by.get_full_name() or by.get_username()) if by else ""
        changes.append((made[change.kind], change.decided_at, change.requested_by_id, name))
    return {action: rest for action, *rest in sorted(changes, key=lambda c: c[1])}


def sign_in_facts(*, user, school_id: int, now=None) -> SignInFacts:
    """The ways into `user`'s account (email, password, two-factor, and what the apps above
    register), each with who changed it last, from `school_id`'s records; and a warning for
    each changed by someone other than the person within SIGN_IN_CHANGE_RECENT."""
    now = now or timezone.now()
    last = _last_sign_in_changes(user, school_id)

    def fact(action, label, text, warning):
        at, by_id, by_name = last.get(action, (None, None, ""))
        return sign_in_fact(
            user=user, label=label, text=text, at=at, by_id=by_id, by_name=by_name, warning=warning
        )

    email = user.email
    facts = [
        fact(
            A.EMAIL_CHANGED,
            "Email",
            (f"{email} (a forgotten password's link goes there)" if email else "none")
            + ("; changed" if A.EMAIL_CHANGED in last else ""),
            lambda name, date, person: (
                f"{name} changed this account's email on {date}: ask "
                f"{person} whether {email} is their own address."
            ),
        )
    ]
    if user.has_usable_password():
        facts.append(
            fact(
                A.PASSWORD_SET,
                "Password",
                "set" if A.PASSWORD_SET in last else "set (no record of who set it)",
                lambda name, date, person: (
                    f"{name} set this account's password on {date}: "
                    f"ask {person} whether they have chosen their own since."
                ),
            )
        )
    else:
        facts.append(SignInFact("Password", "none: no password signs in to this account"))
    app = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-created_at").first()
    if app is None:
        text = "no authenticator app yet: whoever signs in next sets one up"
    elif app.created_at:
        text = f"an authenticator app, set up on {sign_in_date(app.created_at)}"
    else:
        text = "an authenticator app"
    facts.append(
        fact(
            A.TWO_FACTOR_RESET,
            "Two-factor",
            text + ("; last reset" if A.TWO_FACTOR_RESET in last else ""),
            lambda name, date, person: (
                f"{name} reset this account's two-factor sign-in on "
                f"{date}: ask {person} whether they set up its authenticator app themselves since."
            ),
        )
    )
    for source in SIGN_IN_FACT_SOURCES:
        facts += source(user=user, school_id=school_id)
    recent = now - SIGN_IN_CHANGE_RECENT
    warnings = [f.warning for f in facts if f.changed_at and f.changed_at >= recent]
    return SignInFacts(facts=facts, warnings=warnings)
