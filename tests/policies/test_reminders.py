from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from policies.jobs import review_reminders, review_step
from roper.models import Notification
from tests.factories import ratified_policy

LONDON = ZoneInfo("Europe/London")


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 7, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("days_left", "step"),
    [(45, None), (30, "30"), (8, "30"), (7, "7"), (1, "1"), (0, "1"), (-1, "overdue")],
)
def test_the_review_reminder_steps(days_left, step):
    assert review_step(days_left) == step


def test_review_reminders_go_to_the_managers_once_per_step(world):
    ratified_policy(world.school, title="Mobile", slug="mobile")  # review 1 Feb 2027
    assert review_reminders(at(date(2026, 12, 1))) == 0
    review_reminders(at(date(2027, 1, 2)))
    review_reminders(at(date(2027, 1, 3)))  # same step: nothing new
    review_reminders(at(date(2027, 2, 2)))
    titles = list(
        Notification.objects.filter(recipient=world.users["head"]).values_list("title", flat=True)
    )
    assert sorted(titles) == [
        "Policy review due 1 February 2027: Mobile",
        "Policy review overdue since 1 February 2027: Mobile",
    ]
    assert not Notification.objects.filter(recipient=world.users["teacher"]).exists()
