"""Policy reminders (run by roper.reminders, beat every few minutes or cron).

- policy-reviews: 30 days, 7 days and the day before each policy's next review date (listed
  and linked policies too), to the policy's owner and the DSL; once overdue, every week to the
  headteacher and the named governor.
- policy-sending: 14 days before a school year starts, and once when it has, for each policy
  published for families with no record of it being sent to them for that year, to the
  headteacher and the policy's owner.
- policy-acknowledgements: once a week (from 07:00 on the week's first working day), a nudge
  to each staff member who has not acknowledged the current version of a policy or is overdue
  for training, and a summary of both to the headteacher.

Every reminder has a key naming the policy (or school), the date and the step or ISO week, so
a second run, or two at once, sends nothing new.
"""

from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from people.calendar import SchoolCalendar, first_working_day_of_week
from people.models import Membership, School
from policies.models import Acknowledgement, Policy, PolicySending, PolicyVersion
from policies.services import school_year_start, staff_members, training_overdue
from roper.models import Notification
from roper.reminders import job, reminder_send
from roper.roles import Role

#: Days before the next review date at which the owner and the DSL are reminded.
REVIEW_STEPS = (30, 7, 1)
#: The weekly nudges go from this time on the first working day of the ISO week.
NUDGE_FROM = time(7, 0)

#: Words in a policy's free-text owner -> the role they name.
OWNER_ROLES = [
    ("deputy dsl", Role.DEPUTY_DSL),
    ("deputy designated safeguarding", Role.DEPUTY_DSL),
    ("designated safeguarding", Role.DSL),
    ("dsl", Role.DSL),
    ("online safety lead", Role.OSL),
    ("osl", Role.OSL),
    ("headteacher", Role.HEADTEACHER),
    ("head teacher", Role.HEADTEACHER),
    ("chair", Role.CHAIR),
]


def review_step(days_left: int) -> str | None:
    """Which review reminder is due: 'overdue', '1', '7', '30', or None if none yet. A step
    missed (the server was down) is sent late rather than never."""
    if days_left < 0:
        return "overdue"
    for step in sorted(REVIEW_STEPS):
        if days_left <= step:
            return str(step)
    return None


class People:
    """Who holds which role in a school, looked up once per school per run."""

    def __init__(self):
        self._cache = {}

    def holders(self, school, role) -> list:
        key = (school.pk, role)
        if key not in self._cache:
            self._cache[key] = Membership.objects.holders(school, roles=[role])
        return self._cache[key]


def policy_owner(policy: Policy, people: People) -> list:
    """The people the free-text owner names: the policy's (or a linking policy's) key person
    for a role it names (DSL, OSL, deputy), else the role's holders; else a staff member of
    that name; else the headteacher, who answers for every policy."""
    text = policy.owner.strip().lower()
    for words, role in OWNER_ROLES:
        if words and words in text:
            field = {Role.DSL: "dsl", Role.DEPUTY_DSL: "deputy_dsl", Role.OSL: "osl"}.get(role)
            named = _named(policy, field) if field else None
            return [named] if named else people.holders(policy.school, role)
    if text:
        for user in staff_members(policy.school):
            if (user.get_full_name() or "").strip().lower() == text:
                return [user]
    return people.holders(policy.school, Role.HEADTEACHER)


def _named(policy: Policy, field: str):
    """The policy's key person `field`, else that of a policy it is linked to (a listed
    policy names no one; the policy that links it does)."""
    if getattr(policy, f"{field}_id"):
        return getattr(policy, field)
    linked = policy.linked.filter(**{f"{field}__isnull": False}).select_related(field).first()
    return getattr(linked, field) if linked else None


def policy_dsl(policy: Policy, people: People) -> list:
    named = _named(policy, "dsl")
    return [named] if named else people.holders(policy.school, Role.DSL)


def policy_governor(policy: Policy, people: People) -> list:
    """The named governor (or a linked policy's); failing both, the chair of governors."""
    named = _named(policy, "governor")
    return [named] if named else people.holders(policy.school, Role.CHAIR)


@job("policy-reviews")
def review_reminders(now: datetime) -> int:
    today = SchoolCalendar.day_of(now)
    people = People()
    sent = 0
    due = Policy.objects.filter(
        next_review_on__lte=today + timedelta(days=max(REVIEW_STEPS)),
        status__in=[Policy.Status.RATIFIED, Policy.Status.UNDER_REVIEW],
    ).select_related("school", "dsl", "deputy_dsl", "osl", "governor")
    for policy in due:
        step = review_step((policy.next_review_on - today).days)
        if step is None:
            continue
        when = f"{policy.next_review_on:%-d %B %Y}"
        key = f"policy-review:{policy.pk}:{policy.next_review_on}"
        if step == "overdue":
            week = ((today - policy.next_review_on).days - 1) // 7  # week 0: days 1 to 7
            sent += reminder_send(
                key=f"{key}:overdue-w{week}",
                recipients=[
                    *people.holders(policy.school, Role.HEADTEACHER),
                    *policy_governor(policy, people),
                ],
                school=policy.school,
                title=f"Policy review overdue since {when}: {policy.title}",
                url=policy.get_absolute_url(),
                urgency=Notification.Urgency.HIGH,
            )
            continue
        sent += reminder_send(
            key=f"{key}:{step}",
            recipients=[*policy_owner(policy, people), *policy_dsl(policy, people)],
            school=policy.school,
            title=f"Policy review due {when}: {policy.title}",
            url=policy.get_absolute_url(),
        )
    return sent


def nudge_due(now: datetime) -> bool:
    """From 07:00 on the first working day of the week (Tuesday after a bank holiday)."""
    local = timezone.localtime(now)
    first = first_working_day_of_week(local.date())
    return (
        first is not None
        and local.date() >= first
        and (local.date() > first or local.time() >= NUDGE_FROM)
    )


def _current_versions(school) -> list[PolicyVersion]:
    current = (
        PolicyVersion.objects.filter(
            policy__school=school,
            policy__requires_acknowledgement=True,
            policy__listed_only=False,
            policy__status__in=Policy.REVIEWED,
        )
        .select_related("policy")
        .current()
    )
    return list(current.values())


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@job("policy-acknowledgements")
def acknowledgement_reminders(now: datetime) -> int:
    """The weekly nudge to staff (policies to acknowledge, training overdue) and the
    headteacher's summary of both."""
    if not nudge_due(now):
        return 0
    today = SchoolCalendar.day_of(now)
    year, week, _ = today.isocalendar()
    iso = f"{year}-W{week:02d}"
    sent = 0
    for school in School.objects.all():
        staff = staff_members(school)
        if not staff:
            continue
        versions = _current_versions(school)
        done = set(
            Acknowledgement.objects.filter(version__in=versions).values_list(
                "version_id", "user_id"
            )
        )
        late = {r.user.pk for r in training_overdue(school=school, today=today)}
        to_read, overdue = 0, 0
        for user in staff:
            missing = sum(1 for v in versions if (v.pk, user.pk) not in done)
            parts = []
            if missing:
                to_read += 1
                parts.append(f"acknowledge {_plural(missing, 'policy', 'policies')}")
            if user.pk in late:
                overdue += 1
                parts.append("book your training refresher (overdue)")
            if not parts:
                continue
            sent += reminder_send(
                key=f"weekly-nudge:{school.pk}:{iso}",
                recipients=[user],
                school=school,
                title="This week, please " + " and ".join(parts),
                url=reverse("policies:list") if missing else reverse("policies:training_mine"),
            )
        summary = []
        if to_read:
            summary.append(
                f"{_plural(to_read, 'member of staff has', 'staff have')} policies to acknowledge"
            )
        if overdue:
            summary.append(
                f"{_plural(overdue, 'member of staff is', 'staff are')} overdue for training"
            )
        if summary:
            sent += reminder_send(
                key=f"weekly-summary:{school.pk}:{iso}",
                recipients=Membership.objects.holders(school, roles=[Role.HEADTEACHER]),
                school=school,
                title="This week: " + "; ".join(summary),
                url=reverse("policies:training"),
            )
    return sent


#: Days before the start of a school year at which the reminder goes, when the policy has not
#: been recorded as sent to families for that year; then once more when the year has begun.
SENDING_DAYS_BEFORE = 14
#: How long into the year the "not sent yet" reminder may still go (a server down at the
#: start sends it late rather than never; a policy published in October asks next year).
SENDING_LATE_DAYS = 28


@job("policy-sending")
def sending_reminders(now: datetime) -> int:
    """Each policy published for families: 14 days before the school year starts, and once
    when it has started, if no sending to families is recorded for that year → the
    headteacher and the policy's owner."""
    today = SchoolCalendar.day_of(now)
    people = People()
    sent = 0
    policies = Policy.objects.filter(
        published_for_families=True, status__in=Policy.REVIEWED, listed_only=False
    ).select_related("school", "dsl", "deputy_dsl", "osl", "governor")
    calendars: dict[int, SchoolCalendar] = {}
    for policy in policies:
        calendar = calendars.setdefault(policy.school_id, SchoolCalendar(policy.school))
        this_year = PolicySending.school_year_of(today)
        for year in (this_year, this_year + 1):
            start = school_year_start(school=policy.school, year=year, calendar=calendar)
            days_left = (start - today).days
            if 0 < days_left <= SENDING_DAYS_BEFORE:
                step, title = "before", f"due by {start:%-d %B %Y}"
            elif -SENDING_LATE_DAYS < days_left <= 0:
                step, title = "started", f"not yet recorded (the year began {start:%-d %B})"
            else:
                continue
            if PolicySending.objects.filter(policy=policy, school_year=year).exists():
                continue
            label = f"{year}/{(year + 1) % 100:02d}"
            sent += reminder_send(
                key=f"policy-sending:{policy.pk}:{year}:{step}",
                recipients=[
                    *people.holders(policy.school, Role.HEADTEACHER),
                    *policy_owner(policy, people),
                ],
                school=policy.school,
                title=f"Send “{policy.title}” to families for {label}: {title}",
                url=policy.get_absolute_url() + "#families",
            )
    return sent


@job("policy-links")
def check_policy_links(now: datetime) -> int:
    """The links of an imported policy still waiting to be checked (there is no broker, or
    it was down): checked here, outside any request, at most 50 a run. Nothing is sent."""
    from policies.links import links_check

    links_check()
    return 0
