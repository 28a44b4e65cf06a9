"""The reminders of devices, run by roper.reminders (beat every few minutes, or cron).

- devices-end-of-day: at the school's end of the day (`DeviceSettings.end_of_day_at`, default
  16:30), on school days only, the office and the DSL are told how many phones handed in today
  are not yet collected, and how many confiscated devices are held longer than the school's
  limit (`confiscation_limit_days` school days). Each person's count leaves out devices linked
  to a concern concealed from them (`incidents.visibility`). The last school day before
  today is told of too, under that day's keys: its phones still not collected, and the
  devices still held that had been held too long by its end. Sent then, nothing more; lost
  (the scheduler down from before the end of that day until after midnight), sent now.
- exemption-reviews: whoever decides learners' exemptions is told, once per exemption, when
  its review date is two weeks (ten school days) away, and again once it has lapsed.

Counts only, never a child's name: the link shows who, after sign-in.
"""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from devices.models import (
    REGISTERS,
    Confiscation,
    Decision,
    DeviceSettings,
    Handover,
    LearnerExemption,
)
from incidents.models import Concern
from incidents.visibility import concealed_q
from people.calendar import SchoolCalendar
from people.models import Membership, School
from roper.models import Notification
from roper.reminders import job, reminder_send, reminders_send_once_each
from roper.roles import Role

TOLD = (Role.OFFICE, Role.DSL)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


#: How far back the last school day before today is looked for (the longest holiday, the
#: summer's, and the weekends either side): the phones of an earlier day are not reminded of.
LOOK_BACK_DAYS = 56


def _last_school_day_before(calendar: SchoolCalendar, today: date) -> date | None:
    """The last school day before `today`, within LOOK_BACK_DAYS (the calendar's terms are
    read once: no query a day)."""
    for back in range(1, LOOK_BACK_DAYS + 1):
        day = today - timedelta(days=back)
        if calendar.is_school_day(day):
            return day
    return None


def _phones_reminder(*, school, day, count, people, today) -> int:
    """Tell `people` of the `count` phones handed in on `day` and not collected, once for
    the day (its key), whenever it is sent."""
    phones = _plural(count, "phone is", "phones are")
    title, url = f"End of day: {phones} not yet collected", reverse("devices:end_of_day")
    if day != today:
        title = f"End of day {day:%A} {day.day} {day:%B}: {phones} still not collected"
        url += f"?day={day:%Y-%m-%d}"
    return reminder_send(
        key=f"devices-end-of-day:{school.pk}:{day}:phones",
        recipients=people,
        school=school,
        title=title,
        url=url,
        urgency=Notification.Urgency.HIGH,
    )


def _confiscations_reminder(*, school, day, end, limit, confiscations, calendar, people, today):
    """Tell each of `people` how many of `confiscations` (open ones: (confiscated at, concern
    id)) had been held longer than `limit` school days by `end`, the end of `day`, leaving out
    those linked to a concern concealed from them; once for the day (its key), whenever it is
    sent. One query a person, and only when a device is linked to a concern."""
    too_long = [
        concern_id for at, concern_id in confiscations if calendar.add_school_days(at, limit) <= end
    ]
    if not too_long:
        return 0
    days = _plural(limit, "school day", "school days")
    linked = {c for c in too_long if c is not None}
    sent = 0
    for person in people:
        # Devices linked to a concern concealed from this person are not counted for them
        # (nor is a reminder sent to them because of such a device).
        hidden = set()
        if linked:
            hidden = set(
                Concern.objects.filter(concealed_q(person), pk__in=linked).values_list(
                    "pk", flat=True
                )
            )
        count = sum(1 for c in too_long if c not in hidden)
        if not count:
            continue
        title = (
            f"{_plural(count, 'confiscated device has', 'confiscated devices have')}"
            f" been held longer than {days}"
        )
        if day != today:
            title = f"End of day {day:%A} {day.day} {day:%B}: {title}"
        sent += reminder_send(
            key=f"devices-end-of-day:{school.pk}:{day}:confiscations",
            recipients=[person],
            school=school,
            title=title,
            url=reverse("devices:confiscations"),
            urgency=Notification.Urgency.HIGH,
        )
    return sent


@job("devices-end-of-day")
def end_of_day_reminders(now: datetime) -> int:
    local = timezone.localtime(now)
    today = local.date()
    # {(school id, day): phones handed in that day and not collected}, for today and the
    # days the last school day before it may be (one query).
    held = {
        (school_id, day): n
        for school_id, day, n in Handover.objects.filter(
            school_day__gte=today - timedelta(days=LOOK_BACK_DAYS),
            school_day__lte=today,
            undone_at__isnull=True,
            out_at__isnull=True,
        )
        .values("school_id", "school_day")
        .annotate(n=Count("pk"))
        .values_list("school_id", "school_day", "n")
    }
    open_confiscations: dict[int, list[tuple[datetime, int | None]]] = {}
    for school_id, at, concern_id in (
        Confiscation.objects.open().filter(confiscated_at__lt=now)
    ).values_list("school_id", "confiscated_at", "concern_id"):
        open_confiscations.setdefault(school_id, []).append((at, concern_id))
    sent = 0
    with_held = {school_id for school_id, _ in held}
    schools = list(School.objects.filter(pk__in=with_held | set(open_confiscations)))
    told = Membership.objects.holders_by_school(schools, roles=TOLD)
    for school in schools:
        settings = DeviceSettings.for_school(school)
        calendar = SchoolCalendar(school)
        people = told[school.pk]
        confiscations = open_confiscations.get(school.pk, [])
        limit = settings.confiscation_limit_days
        # Today's reminders after its end of day, and the last school day's when they were
        # lost (its end has passed): the devices still held now that were held too long by then.
        days = []
        before = _last_school_day_before(calendar, today)
        if before is not None:
            days.append(
                (before, timezone.make_aware(datetime.combine(before, settings.end_of_day_at)))
            )
        if calendar.is_school_day(today) and local.time() >= settings.end_of_day_at:
            days.append((today, now))
        for day, end in days:
            if held.get((school.pk, day)):
                sent += _phones_reminder(
                    school=school, day=day, count=held[(school.pk, day)], people=people,
                    today=today,
                )  # fmt: skip
            sent += _confiscations_reminder(
                school=school, day=day, end=end, limit=limit, confiscations=confiscations,
                calendar=calendar, people=people, today=today,
            )  # fmt: skip
    return sent


# --------------------------------------------------------------------------------------------
# Learners' exemptions coming up for review

#: The deciders of an exemption are told this many school days before its review date.
REVIEW_NOTICE_SCHOOL_DAYS = 10
#: An exemption that lapsed longer ago than this many school days is not reminded of (the
#: job's first run on an old register tells of the recent ones, not of every exemption that
#: ever lapsed). School days, so that the holidays do not count: one that lapsed at the end of
#: a term is told of after the holiday, when the scheduler was down for it.
LAPSED_WITHIN_SCHOOL_DAYS = 20
#: Wider than any ten school days ahead, and twenty behind (a summer holiday in between): the
#: calendar then decides.
LOOK_AHEAD = timedelta(days=70)
LOOK_BACK = timedelta(days=100)


def _exemption_deciders(schools) -> dict[int, list]:
    """{school id: the people who decide learners' exemptions there} (the register's rule)."""
    permissions = REGISTERS["exemptions"].deciders
    found: dict[int, dict] = {school.pk: {} for school in schools}
    for permission in permissions:
        for school_id, users in Membership.objects.holders_by_school(
            schools, permission=permission
        ).items():
            found[school_id].update((user.pk, user) for user in users)
    return {school_id: list(users.values()) for school_id, users in found.items()}


def _lapsed_recently(calendar: SchoolCalendar, review_on: date, now: datetime) -> bool:
    """Fewer than LAPSED_WITHIN_SCHOOL_DAYS school days have passed since the exemption whose
    review date was `review_on` lapsed (at the start of the next day)."""
    lapsed_at = timezone.make_aware(datetime.combine(review_on + timedelta(days=1), time.min))
    return now < calendar.add_school_days(lapsed_at, LAPSED_WITHIN_SCHOOL_DAYS)


@job("exemption-reviews")
def exemption_review_reminders(now: datetime) -> int:
    today = SchoolCalendar.day_of(now)
    renewed = LearnerExemption.objects.filter(
        learner=OuterRef("learner"), status=Decision.APPROVED, review_on__gt=OuterRef("review_on")
    )
    upcoming: dict[int, list[tuple[int, object]]] = {}
    for pk, school_id, review_on in (
        LearnerExemption.objects.filter(
            status=Decision.APPROVED,
            review_on__gte=today - LOOK_BACK,
            review_on__lte=today + LOOK_AHEAD,
        )
        # A learner whose exemption was renewed (a later review date) needs no reminder.
        .exclude(Exists(renewed))
        .values_list("pk", "school_id", "review_on")
    ):
        upcoming.setdefault(school_id, []).append((pk, review_on))
    if not upcoming:
        return 0
    schools = list(School.objects.filter(pk__in=upcoming))
    deciders = _exemption_deciders(schools)
    url = reverse("devices:exceptions") + "#reg-exemptions"
    sent = 0
    for school in schools:
        calendar = SchoolCalendar(school)
        horizon = calendar.add_school_days(now, REVIEW_NOTICE_SCHOOL_DAYS).date()
        rows = upcoming[school.pk]
        lapsed = [
            f"exemption-review:{pk}:{on}:lapsed"
            for pk, on in rows
            if on < today and _lapsed_recently(calendar, on, now)
        ]
        due = [f"exemption-review:{pk}:{on}:due" for pk, on in rows if today <= on <= horizon]
        people = deciders[school.pk]
        if due:
            sent += reminders_send_once_each(
                keys=due,
                recipients=people,
                school=school,
                title=lambda n: (
                    f"{_plural(n, 'learner exemption is', 'learner exemptions are')} due for "
                    "review within two weeks"
                ),
                url=url,
                urgency=Notification.Urgency.NORMAL,
            )
        if lapsed:
            sent += reminders_send_once_each(
                keys=lapsed,
                recipients=people,
                school=school,
                title=lambda n: (
                    f"{_plural(n, 'learner exemption has', 'learner exemptions have')} lapsed: "
                    "the review date has passed, so the phone is handed in again until renewed"
                ),
                url=url,
                urgency=Notification.Urgency.HIGH,
            )
    return sent
