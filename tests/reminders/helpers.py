"""Shared helpers of the reminder tests."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from roper.models import Notification

LONDON = ZoneInfo("Europe/London")


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def told(world, **filters) -> dict[str, list[str]]:
    """persona -> titles of the notifications they received (matching `filters`)."""
    by_pk = {u.pk: name for name, u in world.users.items()}
    out: dict[str, list[str]] = {}
    for n in Notification.objects.filter(**filters).order_by("pk"):
        out.setdefault(by_pk.get(n.recipient_id, n.recipient.username), []).append(n.title)
    return out
