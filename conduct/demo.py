"""The demo's term of breaches (seed_demo): a few learners of Anthony Roper Primary School
with one, two or three breaches this term, so the list, the ladder's steps (one changed with a
reason) and the parent notices they caused are there to look at. Seeded once: when the demo
school has breaches, running the seed again changes nothing (breaches are never rewound)."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from conduct.models import Breach
from conduct.services import breach_record
from people.calendar import SchoolCalendar
from people.models import Learner

#: (learner, school days ago, what, part of the day, at, place); per learner, oldest first.
BREACHES = [
    (0, 28, "seen", "break", time(10, 40), "playground"),
    (0, 12, "used", "lesson", time(11, 15), "classroom"),
    (0, 3, "used", "lunch", time(12, 30), "dining"),
    (1, 22, "used", "before", time(8, 40), "gate"),
    (1, 6, "used", "lesson", time(14, 5), "classroom"),
    (2, 17, "seen", "lunch", time(12, 50), "toilets"),
    (3, 15, "used", "lesson", time(9, 30), "classroom"),
    (3, 9, "used", "break", time(10, 45), "corridor"),
    (4, 4, "seen", "after", time(15, 20), "gate"),
]
#: The one breach whose step was changed, with the reason recorded.
CHANGED = (1, 6)


def _school_days_ago(calendar: SchoolCalendar, n: int):
    day = SchoolCalendar.today()
    while n:
        day -= timedelta(days=1)
        if calendar.is_school_day(day):
            n -= 1
    return day


def seed(demo):
    school = demo.school
    if Breach.objects.filter(school=school).exists():
        return
    calendar = SchoolCalendar(school)
    learners = list(
        Learner.objects.filter(school=school, class_name="Willow", active=True).order_by("pk")[:5]
    )
    teacher = demo.users["teacher"]
    for index, days, kind, period, at, place in BREACHES:
        moment = timezone.make_aware(datetime.combine(_school_days_ago(calendar, days), at))
        changed = (index, days) == CHANGED
        breach_record(
            learner=learners[index],
            by=teacher,
            kind=kind,
            at=moment,
            period=period,
            place=place,
            lesson="Year 6 science" if period == "lesson" else "",
            what_next="Handed the phone to the office.",
            applied_position=1 if changed else None,
            override_reason="Called home about a family emergency; the head agreed the phone "
            "goes back at the end of the day."
            if changed
            else "",
        )
