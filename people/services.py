"""Importing learners and their parents/carers from a school MIS export; people's roles
(granting a safeguarding role needs approval) and resetting a person's two-factor sign-in."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp import devices_for_user

from people.calendar import SchoolCalendar
from people.models import (
    AuditEntry,
    Guardian,
    Guardianship,
    Learner,
    Membership,
    RoleRequest,
    School,
    YearGroup,
)
from roper.locking import locked
from roper.notifications import notification_send
from roper.permissions import has_perm, schools_with
from roper.roles import READS_SAFEGUARDING, Role

REQUIRED_COLUMNS = [
    "upn",
    "legal_first_name",
    "legal_last_name",
    "date_of_birth",
    "year_group",
    "class",
]
OPTIONAL_COLUMNS = ["preferred_name", "active"]
CONTACT_FIELDS = ["name", "relationship", "phone", "email", "may_collect"]
MAX_CONTACTS = 4
CONTACT_COLUMNS = [f"contact{n}_{f}" for n in range(1, MAX_CONTACTS + 1) for f in CONTACT_FIELDS]
KNOWN_COLUMNS = set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS + CONTACT_COLUMNS)

YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}
YEAR_GROUPS = {v.lower(): v for v in YearGroup.values} | {
    label.lower(): v for v, label in YearGroup.choices
}


class ImportError_(Exception):
    """The file cannot be imported; `problems` says why, line by line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    guardians_created: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    learner: dict
    contacts: list[dict]


def _parse_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValueError(f"date of birth {text!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def _parse_bool(text: str, column: str) -> bool:
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(f"{column} must be yes or no, not {text!r}")


def _parse_row(line: int, raw: dict, seen_upns: dict) -> _Row:
    values = {k: (v or "").strip() for k, v in raw.items() if k}
    missing = [c for c in REQUIRED_COLUMNS if not values.get(c)]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    upn = values["upn"].upper()
    if not (len(upn) == 13 and upn[0].isalpha() and upn[1:12].isdigit()):
        raise ValueError(
            f"UPN {values['upn']!r} is not 13 characters (a letter, 11 digits, a letter or digit)"
        )
    if upn in seen_upns:
        raise ValueError(f"UPN {upn} appears twice (also on line {seen_upns[upn]})")
    seen_upns[upn] = line
    year = YEAR_GROUPS.get(values["year_group"].lower().removeprefix("year ").strip())
    if year is None:
        year = YEAR_GROUPS.get(values["year_group"].lower())
    if year is None:
        raise ValueError(f"year group {values['year_group']!r} is not one of N, R, 1–13")
    dob = _parse_date(values["date_of_birth"])
    if not date(1990, 1, 1) <= dob <= SchoolCalendar.today():
        raise ValueError(f"date of birth {values['date_of_birth']} is not plausible")
    learner = {
        "upn": upn,
        "legal_first_name": values["legal_first_name"][:100],
        "legal_last_name": values["legal_last_name"][:100],
        "preferred_name": values.get("preferred_name", "")[:100],
        "date_of_birth": dob,
        "year_group": year,
        "class_name": values["class"][:50],
        "active": _parse_bool(values.get("active") or "yes", "active"),
    }
    contacts = []
    for n in range(1, MAX_CONTACTS + 1):
        contact = {f: values.get(f"contact{n}_{f}", "") for f in CONTACT_FIELDS}
        if not any(contact.values()):
            continue
        if not contact["name"] or not contact["relationship"]:
            raise ValueError(f"contact {n} needs a name and a relationship")
        if contact["email"] and "@" not in contact["email"]:
            raise ValueError(f"contact {n}'s email {contact['email']!r} is not an email address")
        contact["may_collect"] = _parse_bool(contact["may_collect"], f"contact{n}_may_collect")
        contacts.append(contact)
    return _Row(line=line, learner=learner, contacts=contacts)


def parse_learner_csv(text: str) -> list[_Row]:
    """Check the whole file first; raise ImportError_ listing every bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = [c for c in columns if c and c not in KNOWN_COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"The file is missing the column(s): {', '.join(missing)}.")
        if unknown:
            problems.append(f"The file has column(s) Roper does not know: {', '.join(unknown)}.")
        problems.append("See the README for the columns an import file needs.")
        raise ImportError_(problems)
    rows, problems, seen = [], [], {}
    for raw in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue
        if None in raw:
            problems.append(f"Line {line}: more values than columns.")
            continue
        try:
            rows.append(_parse_row(line, raw, seen))
        except ValueError as exc:
            problems.append(f"Line {line}: {exc}.")
    if problems:
        raise ImportError_(problems)
    if not rows:
        raise ImportError_(["The file has no learners in it."])
    return rows


@transaction.atomic
def learners_import(*, school: School, text: str) -> ImportResult:
    """Create or update learners by UPN, with their contacts. All or nothing."""
    rows = parse_learner_csv(text)
    result = ImportResult()
    existing = {lr.upn: lr for lr in Learner.objects.filter(school=school)}
    guardians = {(g.name.lower(), g.email.lower(), g.phone): g for g in school.guardians.all()}
    for row in rows:
        learner = existing.get(row.learner["upn"])
        if learner is None:
            learner = Learner.objects.create(school=school, **row.learner)
            result.created += 1
        else:
            changed = [k for k, v in row.learner.items() if getattr(learner, k) != v]
            if changed:
                for k in changed:
                    setattr(learner, k, row.learner[k])
                learner.save()
                result.updated += 1
        keep = []
        for contact in row.contacts:
            key = (contact["name"].lower(), contact["email"].lower(), contact["phone"])
            guardian = guardians.get(key)
            if guardian is None:
                guardian = Guardian.objects.create(
                    school=school,
                    name=contact["name"],
                    email=contact["email"],
                    phone=contact["phone"],
                )
                guardians[key] = guardian
                result.guardians_created += 1
            Guardianship.objects.update_or_create(
                learner=learner,
                guardian=guardian,
                defaults={
                    "relationship": contact["relationship"],
                    "may_collect": contact["may_collect"],
                },
            )
            keep.append(guardian.pk)
        learner.guardianships.exclude(guardian_id__in=keep).delete()
    return result


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
    """Approve (the role is added to the membership, or the change is made) or decline a
    pending request. Whether `by` may decide it is the view's question (roper.permissions);
    nobody decides a request about themself. The admin who asked, and the person it is
    about, are told."""
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


def _approval_needed(user, by) -> tuple[int, str] | None:
    """(school id, role) that makes a change to `user`'s sign-in by `by` wait for approval,
    or None: the headteacher role first (the chair approves those), else another role that
    reads safeguarding records, held or asked for."""
    if by.is_superuser:
        return None
    held = [
        (m.school_id, role)
        for m in Membership.objects.filter(user=user, school__isnull=False)
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
    where = _approval_needed(user, by) if password is not None else None
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
    where = _approval_needed(user, by)
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
    where = _approval_needed(user, by)
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
