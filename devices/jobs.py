"""The end-of-day reminder of devices, run by roper.reminders (beat every few minutes, or cron).

At the school's end of the day (`DeviceSettings.end_of_day_at`, default 16:30), on school
days only, the office and the DSL are told how many phones handed in today are not yet
collected, and how many confiscated devices are held longer than the school's limit
(`confiscation_limit_days` school days). Counts only, never a child's name: the link shows
who, after sign-in. Each person's count leaves out devices linked to a concern concealed from
them (`incidents.visibility`).
"""

from datetime import datetime

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from devices.models import Confiscation, DeviceSettings, Handover
from incidents.models import Concern
from incidents.visibility import concealed_q
from people.calendar import SchoolCalendar
from people.models import Membership, School
from roper.models import Notification
from roper.reminders import job, reminder_send
from roper.roles import Role

TOLD = (Role.OFFICE, Role.DSL)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@job("devices-end-of-day")
def end_of_day_reminders(now: datetime) -> int:
    local = timezone.localtime(now)
    today = local.date()
    held = dict(
        Handover.objects.filter(school_day=today, undone_at__isnull=True, out_at__isnull=True)
        .values("school_id")
        .annotate(n=Count("pk"))
        .values_list("school_id", "n")
    )
    open_confiscations: dict[int, list[tuple[datetime, int | None]]] = {}
    for school_id, at, concern_id in (
        Confiscation.objects.open().filter(confiscated_at__lt=now)
    ).values_list("school_id", "confiscated_at", "concern_id"):
        open_confiscations.setdefault(school_id, []).append((at, concern_id))
    sent = 0
    schools = list(School.objects.filter(pk__in=set(held) | set(open_confiscations)))
    told = Membership.objects.holders_by_school(schools, roles=TOLD)
    for school in schools:
        settings = DeviceSettings.for_school(school)
        calendar = SchoolCalendar(school)
        if not calendar.is_school_day(today) or local.time() < settings.end_of_day_at:
            continue
        limit = settings.confiscation_limit_days
        too_long = [
            concern_id
            for at, concern_id in open_confiscations.get(school.pk, [])
            if calendar.add_school_days(at, limit) <= now
        ]
        people = told[school.pk]
        if held.get(school.pk):
            count = held[school.pk]
            sent += reminder_send(
                key=f"devices-end-of-day:{school.pk}:{today}:phones",
                recipients=people,
                school=school,
                title=f"End of day: {_plural(count, 'phone is', 'phones are')} not yet collected",
                url=reverse("devices:end_of_day"),
                urgency=Notification.Urgency.HIGH,
            )
        if too_long:
            days = _plural(limit, "school day", "school days")
            linked = {c for c in too_long if c is not None}
            for person in people:
                # Devices linked to a concern concealed from this person are not counted
                # for them (nor is a reminder sent to them because of such a device).
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
                sent += reminder_send(
                    key=f"devices-end-of-day:{school.pk}:{today}:confiscations",
                    recipients=[person],
                    school=school,
                    title=(
                        f"{_plural(count, 'confiscated device has', 'confiscated devices have')}"
                        f" been held longer than {days}"
                    ),
                    url=reverse("devices:confiscations"),
                    urgency=Notification.Urgency.HIGH,
                )
    return sent
