"""Dates as Django's `date` filter writes "j M Y" and "j M Y H:i" in the current time zone,
for pages that format hundreds of them (a concern's timeline, the triage dashboard): the
filter resolves the format and the month's name on every call, which was a large share of
those pages' time. The month names are read once, in the active language."""

from collections.abc import Callable
from datetime import UTC, date, datetime
from html import escape

from django.utils import dateformat, timezone


def formatters() -> tuple[Callable[[date], str], Callable[[datetime], str]]:
    """(day, moment): "4 Dec 2026" for a date, "4 Dec 2026 08:41" for an aware datetime in
    the current time zone. Both HTML-escaped, as the filter's output is in a template."""
    zone = timezone.get_current_timezone()
    months = {m: escape(dateformat.format(date(2000, m, 1), "M")) for m in range(1, 13)}

    def day(d: date) -> str:
        return f"{d.day} {months[d.month]} {d.year:04d}"

    def moment(at: datetime) -> str:
        at = at.astimezone(zone)
        return f"{day(at)} {at.hour:02d}:{at.minute:02d}"

    return day, moment


def as_datetime(value):
    """A timestamp column read by a raw query, aware: SQLite gives it naive (in UTC). Any
    other value is given back as it is."""
    if isinstance(value, datetime) and timezone.is_naive(value):
        return timezone.make_aware(value, UTC)
    return value
