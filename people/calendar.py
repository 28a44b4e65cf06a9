"""The school calendar, in one place: bank holidays in England, working days (weekdays that
are not a bank holiday), a school's terms and school days (working days inside one of its
terms), today, and deadlines counted in any of these.

Every app that counts days (incidents' deadlines, devices' end of day, reports, reminders)
asks a `SchoolCalendar`, so the rule is the same everywhere, and "now" has one source:
`django.utils.timezone.now` (tests pin it with `time_machine`).

"1 working day" from a moment is the same time of day on the next working day; a report made
on a Saturday at 10:00 is due on Monday at 10:00 (or Tuesday if Monday is a bank holiday).

A term's span runs from the day after the previous term ends to its own last day, so the
holiday before a term counts with it: the current term is the one whose span holds today.
"""

from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache

import holidays
from django.utils import timezone

#: Deadline units (the values of `incidents.models.DeadlineUnit`).
MINUTES, SCHOOL_DAYS, WORKING_DAYS = "minutes", "school_days", "working_days"

#: Ten years of days is far more than any rule needs; it stops a school with no future term on
#: file from counting for ever (it then counts working days).
_LONGEST = 3660


@lru_cache(maxsize=64)
def bank_holidays(year: int):
    """England's bank holidays in `year` (a date -> name mapping)."""
    return holidays.country_holidays("GB", subdiv="ENG", years=year)


def is_bank_holiday(day: date) -> bool:
    return day in bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def first_working_day_of_week(day: date) -> date | None:
    """The first working day of `day`'s week (Tuesday after an Easter Monday); None in a
    week with none."""
    monday = day - timedelta(days=day.weekday())
    week = (monday + timedelta(days=i) for i in range(5))
    return next((d for d in week if is_working_day(d)), None)


class SchoolCalendar:
    """One school's calendar. `terms` (the school's Term rows in date order) may be passed when
    already loaded; otherwise they are read once, when first needed. `school=None` (or a
    school with no terms on file) counts every working day as a school day."""

    def __init__(self, school=None, *, terms=None):
        self.school = school
        if terms is not None:
            self.__dict__["terms"] = list(terms)

    @staticmethod
    def day_of(moment: datetime) -> date:
        """The date of a moment where the school is (the project's time zone), not in UTC."""
        return timezone.localdate(moment)

    @classmethod
    def today(cls) -> date:
        """Today's date where the school is."""
        return cls.day_of(timezone.now())

    @cached_property
    def terms(self) -> list:
        if self.school is None:
            return []
        from people.models import Term

        return list(Term.objects.filter(school=self.school).order_by("starts_on"))

    # -- terms ------------------------------------------------------------------------------

    def previous_term(self, term):
        index = self._index(term)
        return self.terms[index - 1] if index else None

    def span_start(self, term) -> date:
        """The first day of `term`'s span: the day after the previous term ends (its own first
        day for the first term on file)."""
        previous = self.previous_term(term)
        return previous.ends_on + timedelta(days=1) if previous else term.starts_on

    def current_term(self, on: date | None = None):
        """The term whose span holds `on` (today): the first not yet over, holiday included;
        None before the first term on file or after the last."""
        on = on or self.today()
        term = next((t for t in self.terms if t.ends_on >= on), None)
        if term is None or self.span_start(term) > on:
            return None
        return term

    def current_term_start(self, on: date | None = None) -> date:
        """The first day of the current term's span (90 days ago with no current term)."""
        on = on or self.today()
        term = self.current_term(on)
        return self.span_start(term) if term else on - timedelta(days=90)

    def last_completed_term(self, on: date | None = None):
        on = on or self.today()
        done = [t for t in self.terms if t.ends_on < on]
        return done[-1] if done else None

    def _index(self, term) -> int:
        return next(i for i, t in enumerate(self.terms) if t.pk == term.pk)

    # -- days -------------------------------------------------------------------------------

    def in_term(self, day: date) -> bool:
        return not self.terms or any(t.starts_on <= day <= t.ends_on for t in self.terms)

    def is_school_day(self, day: date) -> bool:
        """A working day inside one of the school's terms."""
        return is_working_day(day) and self.in_term(day)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """`start` moved on by `days` working days, at the same time of day."""
        return self._add(start, days, is_working_day)

    def add_school_days(self, start: datetime, days: int) -> datetime:
        """`start` moved on by `days` school days, at the same time of day."""
        return self._add(start, days, self.is_school_day)

    def deadline(self, start: datetime, amount: int, unit: str) -> datetime:
        """`amount` minutes, school days or working days after `start`."""
        if unit == MINUTES:
            return start + timedelta(minutes=amount)
        if unit == SCHOOL_DAYS:
            return self.add_school_days(start, amount)
        return self.add_working_days(start, amount)

    def _add(self, start: datetime, days: int, counts) -> datetime:
        local = timezone.localtime(start)
        day, counted = local.date(), 0
        for _ in range(_LONGEST):
            if counted >= days:
                break
            day += timedelta(days=1)
            if counts(day):
                counted += 1
        else:
            return self.add_working_days(start, days)
        naive = datetime.combine(day, local.time().replace(tzinfo=None))
        return timezone.make_aware(naive, local.tzinfo)
