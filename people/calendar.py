"""The school calendar, in one place: bank holidays in England, working days (weekdays that
are not a bank holiday) and school days (working days inside one of the school's terms).

Every app that counts days (incidents' deadlines, devices' end of day, reports, reminders)
uses these, so the rule is the same everywhere.

"1 working day" from a moment is the same time of day on the next working day; a report made
on a Saturday at 10:00 is due on Monday at 10:00 (or Tuesday if Monday is a bank holiday).
"""

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from django.utils import timezone


@lru_cache(maxsize=64)
def bank_holidays(year: int):
    """England's bank holidays in `year` (a date -> name mapping)."""
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_bank_holiday(day: date) -> bool:
    return day in bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def school_terms(school) -> list[tuple[date, date]]:
    """The school's terms as (starts_on, ends_on), oldest first."""
    if school is None:
        return []
    from people.models import Term

    return list(
        Term.objects.filter(school=school).order_by("starts_on").values_list("starts_on", "ends_on")
    )


def in_term(day: date, terms) -> bool:
    # A school with no terms on file counts every working day as a school day.
    return not terms or any(start <= day <= end for start, end in terms)


def is_school_day(day: date, *, school=None, terms=None) -> bool:
    """A working day inside one of the school's terms (pass `terms` to save a query)."""
    if terms is None:
        terms = school_terms(school)
    return is_working_day(day) and in_term(day, terms)


def add_days(start: datetime, days: int, *, school=None, school_days: bool = False) -> datetime:
    """`start` moved on by `days` working days (school days if `school_days`)."""
    local = timezone.localtime(start)
    terms = school_terms(school) if school_days else []
    day = local.date()
    counted = 0
    # Ten years of days is far more than any rule needs; it stops a school with no future
    # term on file from looping for ever (it then counts working days).
    for _ in range(3660):
        if counted >= days:
            break
        day += timedelta(days=1)
        if is_working_day(day) and in_term(day, terms):
            counted += 1
    else:
        return add_days(start, days)
    naive = datetime.combine(day, local.time().replace(tzinfo=None))
    return timezone.make_aware(naive, local.tzinfo)
