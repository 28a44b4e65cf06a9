"""The one clock for deadlines: minutes, working days and school days. The calendar itself
(bank holidays, working days, school days) lives in `people.calendar`, shared by every app;
the names below are kept so existing imports go on working.
"""

from datetime import datetime, timedelta

from incidents.models import DeadlineUnit
from people.calendar import add_days, is_bank_holiday, is_working_day
from people.calendar import bank_holidays as _bank_holidays
from people.calendar import in_term as _in_term
from people.calendar import school_terms as _terms

__all__ = [
    "_bank_holidays",
    "_in_term",
    "_terms",
    "add_days",
    "deadline_for",
    "is_bank_holiday",
    "is_working_day",
]


def deadline_for(*, start: datetime, amount: int, unit: str, school=None) -> datetime:
    if unit == DeadlineUnit.MINUTES:
        return start + timedelta(minutes=amount)
    return add_days(start, amount, school=school, school_days=unit == DeadlineUnit.SCHOOL_DAYS)
