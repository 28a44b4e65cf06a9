"""Policy rules that touch several rows: reviews, ratification, review triggers,
acknowledgements and training records.

`review_trigger_open` is the entry point other apps use (incidents/ opens a
lessons-learnt trigger when a concern is closed); policies/ never imports them.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.text import slugify

from people.calendar import SchoolCalendar
from people.models import Membership
from policies.models import (
    Acknowledgement,
    Policy,
    PolicySending,
    PolicyVersion,
    ReviewTrigger,
    TrainingSession,
    TrainingSettings,
    add_months,
)
from roper.errors import Refused
from roper.locking import locked
from roper.notifications import notification_send
from roper.permissions import roles_for
from roper.roles import STAFF


def staff_members(school) -> list:
    """Those who work in the school (a role of roper.roles.STAFF: not governors, not the
    admin), by name: the people who acknowledge policies and keep their training up to date."""
    return Membership.objects.holders(school, roles=STAFF)


# -- review triggers and the review workflow ----------------------------------------------


def review_trigger_open(
    *,
    policy: Policy,
    reason: str,
    by,
    note: str = "",
    source: str = "",
    concern_number: int | None = None,
    withhold_from=(),
) -> ReviewTrigger:
    """Record why a policy must be reviewed early. The policy goes under review at once
    (with a draft version to edit) and the people who manage policies are told, but for
    `withhold_from` (those a source concern is concealed from)."""
    if reason not in ReviewTrigger.Reason.values:
        raise Refused(f"Unknown review trigger reason {reason!r}.")
    # Race: two triggers (or a trigger and a ratification) at once; lock the policy row.
    with locked(policy) as policy:
        trigger = ReviewTrigger.objects.create(
            policy=policy,
            reason=reason,
            note=note,
            source=source,
            concern_number=concern_number,
            opened_by=by,
        )
        if policy.status != Policy.Status.ARCHIVED and not policy.listed_only:
            _start_review(policy=policy, by=by)
        elif policy.listed_only and policy.status != Policy.Status.ARCHIVED:
            policy.status = Policy.Status.UNDER_REVIEW
            policy.save(update_fields=["status"])
    notification_send(
        recipients=[
            u
            for u in Membership.objects.holders(policy.school, permission="policies.manage")
            if u not in withhold_from
        ],
        school=policy.school,
        title=f"A policy needs an early review: {policy.title}",
        url=policy.get_absolute_url(),
    )
    return trigger


def _start_review(*, policy: Policy, by) -> PolicyVersion:
    """Under a lock held by the caller: the open draft, or a new draft copied from the
    current text."""
    draft = policy.draft_version
    if draft is None:
        number = (policy.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        draft = PolicyVersion.objects.create(
            policy=policy, number=number, body=policy.body, created_by=by
        )
    if policy.status == Policy.Status.RATIFIED:
        policy.status = Policy.Status.UNDER_REVIEW
        policy.save(update_fields=["status"])
    return draft


def policy_review_start(*, policy: Policy, by) -> PolicyVersion:
    """Start a review: a draft version copied from the current one (or the open draft)."""
    if policy.listed_only:
        raise Refused("Roper only lists this policy; review it where its text lives.")
    if policy.status == Policy.Status.ARCHIVED:
        raise Refused("An archived policy cannot be reviewed.")
    # Race: two people starting a review at once would create two drafts.
    with locked(policy) as policy:
        return _start_review(policy=policy, by=by)


def policy_ratify(
    *,
    policy: Policy,
    by,
    ratified_on: date,
    ratified_by: str = "Governing Body",
    next_review_on: date | None = None,
) -> PolicyVersion:
    """Record that the governing body ratified the draft. The draft becomes the current
    version (earlier ones stay readable), open triggers close, the next review is set
    (a year at most), and staff are asked to acknowledge it if they must read it."""
    if ratified_on > SchoolCalendar.today():
        raise Refused("The ratification date cannot be in the future.")
    # Race: a second ratification of the same draft, or a trigger opening meanwhile.
    with locked(policy) as policy:
        version = policy.draft_version
        if version is None:
            raise Refused("There is no draft to ratify: start a review first.")
        previous = policy.current_version
        if previous and ratified_on < previous.ratified_on:
            raise Refused(
                f"Version {previous.number} was ratified on {previous.ratified_on:%-d %B %Y}; "
                "a later version cannot be ratified before it."
            )
        version.ratified_on = ratified_on
        version.ratified_by = ratified_by
        version.recorded_by = by
        version.save()
        policy.body = version.body
        policy.ratified_on = ratified_on
        policy.ratified_by = ratified_by
        policy.ratification_recorded_by = by
        policy.status = Policy.Status.RATIFIED
        policy.set_next_review(next_review_on)
        policy.save()
        ReviewTrigger.objects.filter(policy=policy, closed_at__isnull=True).update(
            closed_at=timezone.now(), closed_by_version=version
        )
    if policy.requires_acknowledgement:
        notification_send(
            recipients=staff_members(policy.school),
            school=policy.school,
            title=f"Please read and acknowledge: {policy.title} (version {version.number})",
            url=policy.get_absolute_url(),
        )
    return version


def policy_create(
    *,
    school,
    by,
    title: str,
    listed_only: bool = False,
    owner: str = "",
    body: str = "",
    file=None,
    ratified_on: date | None = None,
    next_review_on: date | None = None,
    requires_acknowledgement: bool = True,
) -> Policy:
    """A new policy. One written in Roper starts as a draft (version 1) to be ratified; one
    Roper only lists is recorded with its ratification and review dates as they are."""
    from policies.importer import RESERVED_SLUGS

    slug = slugify(title)[:200]
    if not slug or slug in RESERVED_SLUGS:
        raise Refused(f"Choose another title: {title!r} cannot be a web address.")
    if Policy.objects.filter(school=school, slug=slug).exists():
        raise Refused(f"There is already a policy called {title!r}.")
    with transaction.atomic():
        policy = Policy(
            school=school,
            title=title,
            slug=slug,
            listed_only=listed_only,
            owner=owner,
            body="" if listed_only else body,
            requires_acknowledgement=requires_acknowledgement and not listed_only,
        )
        if file:
            policy.file = file
        if listed_only and ratified_on:
            policy.ratified_on = ratified_on
            policy.ratification_recorded_by = by
            policy.status = Policy.Status.RATIFIED
            policy.set_next_review(next_review_on)
        else:
            policy.next_review_on = next_review_on
        policy.save()
        if not listed_only:
            PolicyVersion.objects.create(policy=policy, number=1, body=body, created_by=by)
    return policy


def listed_policy_reviewed(*, policy: Policy, by) -> None:
    """A listed-only policy was re-ratified elsewhere: its new dates (already saved) make it
    ratified again, and its open triggers close."""
    if not policy.listed_only or policy.ratified_on is None:
        return
    with transaction.atomic():
        policy.status = Policy.Status.RATIFIED
        policy.ratification_recorded_by = by
        policy.save(update_fields=["status", "ratification_recorded_by"])
        ReviewTrigger.objects.filter(policy=policy, closed_at__isnull=True).update(
            closed_at=timezone.now()
        )


def policy_archive(*, policy: Policy) -> None:
    policy.status = Policy.Status.ARCHIVED
    policy.save(update_fields=["status"])


# -- acknowledgements ------------------------------------------------------------------


@dataclass
class AcknowledgementSummary:
    version: PolicyVersion
    acknowledged: list  # [(user, Acknowledgement)]
    outstanding: list  # [user]

    @property
    def total(self) -> int:
        return len(self.acknowledged) + len(self.outstanding)

    @property
    def done(self) -> int:
        return len(self.acknowledged)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def acknowledgement_summary(*, version: PolicyVersion, staff=None) -> AcknowledgementSummary:
    """Who of the school's current staff has and has not acknowledged this version."""
    staff = staff if staff is not None else staff_members(version.policy.school)
    acks = {a.user_id: a for a in version.acknowledgements.all()}
    acknowledged = [(u, acks[u.pk]) for u in staff if u.pk in acks]
    outstanding = [u for u in staff if u.pk not in acks]
    return AcknowledgementSummary(version, acknowledged, outstanding)


def acknowledgement_record(*, version: PolicyVersion, user) -> Acknowledgement:
    """'I have read and understood' — for the current ratified version only."""
    policy = version.policy
    if version.is_draft or policy.current_version != version:
        raise Refused("Only the current ratified version can be acknowledged.")
    if user.pk not in {u.pk for u in staff_members(policy.school)}:
        raise Refused("Only staff of the school acknowledge its policies.")
    ack, _ = Acknowledgement.objects.get_or_create(version=version, user=user)
    return ack


def acknowledgements_outstanding(*, user, school) -> list[PolicyVersion]:
    """The current versions of the school's policies that this staff member must still read."""
    # Whether they work in the school, from the roles read once per request (reading every
    # member of staff to find them cost a query and ~200 rows on every page showing this).
    if school is None or not set(STAFF) & roles_for(user, school):
        return []
    policies = Policy.objects.filter(
        school=school,
        requires_acknowledgement=True,
        listed_only=False,
        status__in=Policy.REVIEWED,
    )
    # Only what the panel shows (the policy's title and link, the version's number and
    # date): every ratified version of every policy is read (the latest of each kept), and
    # their texts and the policies' other columns were most of what came back. Whether the
    # user read each is read with it (a query of its own was a tenth of the panel's time).
    current = (
        PolicyVersion.objects.filter(policy__in=policies)
        .select_related("policy")
        .only("policy_id", "number", "ratified_on", "policy__title", "policy__slug")
        .annotate(read=Exists(Acknowledgement.objects.filter(user=user, version=OuterRef("pk"))))
        .current()
    )
    todo = [v for v in current.values() if not v.read]
    return sorted(todo, key=lambda v: v.policy.title)


# -- training -----------------------------------------------------------------------


@dataclass
class TrainingRecord:
    user: object
    sessions: list  # TrainingSession, newest first
    last_on: date | None
    due_on: date | None

    def is_overdue(self, today: date) -> bool:
        return self.due_on is None or self.due_on < today


def training_records(*, school, today: date | None = None) -> list[TrainingRecord]:
    """Each staff member's training, with when the refresher is (or was) due. A staff member
    with no training at all is due now."""
    today = today or SchoolCalendar.today()
    months = TrainingSettings.for_school(school).refresher_months
    staff = staff_members(school)
    by_user: dict[int, list] = {u.pk: [] for u in staff}
    sessions = TrainingSession.objects.filter(school=school).prefetch_related("attendances")
    for session in sessions:  # newest first
        for attendance in session.attendances.all():
            if attendance.user_id in by_user:
                by_user[attendance.user_id].append(session)
    records = []
    for user in staff:
        done = by_user[user.pk]
        last = done[0].held_on if done else None
        records.append(TrainingRecord(user, done, last, add_months(last, months) if last else None))
    return records


def training_overdue(*, school, today: date | None = None) -> list[TrainingRecord]:
    today = today or SchoolCalendar.today()
    return [r for r in training_records(school=school, today=today) if r.is_overdue(today)]


# -- families: the published policy and its sending at the start of each school year ------


def policy_publish(*, policy: Policy, published: bool) -> Policy:
    """Publish the policy for parents and pupils at its public page, or take it down. Only a
    policy with a ratified version is published (the page shows that version)."""
    # Publishing and taking down at once: the last click wins, on the locked row.
    with locked(policy) as policy:
        if published and policy.current_version is None:
            raise Refused("Ratify a version first: the public page shows the ratified version.")
        if published and policy.listed_only:
            raise Refused("Roper only lists this policy: its text is not here to publish.")
        policy.published_for_families = published
        policy.save(update_fields=["published_for_families"])
    return policy


def policy_sending_record(
    *,
    policy: Policy,
    school_year: int,
    sent_on: date,
    method: str,
    year_groups: list[str],
    sent_by,
    by,
    note: str = "",
) -> PolicySending:
    """Record that the current ratified version was sent to families for `school_year`."""
    version = policy.current_version
    if version is None:
        raise Refused("Ratify a version first: families are sent the ratified version.")
    if sent_on > SchoolCalendar.today():
        raise Refused("The date it was sent cannot be in the future.")
    return PolicySending.objects.create(
        policy=policy,
        version=version,
        school_year=school_year,
        sent_on=sent_on,
        sent_by=sent_by,
        method=method,
        year_groups=",".join(year_groups),
        note=note,
        recorded_by=by,
    )


def school_year_start(*, school, year: int, calendar: SchoolCalendar | None = None) -> date:
    """The first day of school year `year` (2026: 2026/27): the school's first term starting
    from August of that year, else 1 September."""
    calendar = calendar or SchoolCalendar(school)
    starts = [t.starts_on for t in calendar.terms if date(year, 8, 1) <= t.starts_on]
    starts = [d for d in starts if d < date(year + 1, 1, 1)]
    return min(starts) if starts else date(year, 9, 1)
