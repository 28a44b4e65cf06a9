from datetime import date, datetime

import pytest

import incidents.clock
from people.calendar import add_days, is_bank_holiday, is_school_day, is_working_day
from tests.factories import SchoolFactory, TermFactory
from tests.reminders.helpers import LONDON

BOXING_DAY_OBSERVED = date(2026, 12, 28)  # Monday: substitute for Boxing Day (a Saturday)
EARLY_MAY = date(2027, 5, 3)


def test_england_bank_holidays_are_not_working_days():
    assert is_bank_holiday(EARLY_MAY)
    assert not is_working_day(EARLY_MAY)
    assert not is_working_day(BOXING_DAY_OBSERVED)
    assert is_working_day(date(2027, 5, 4))


def test_weekends_are_not_working_days():
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert not is_working_day(date(2026, 11, 29))  # Sunday
    assert is_working_day(date(2026, 11, 30))


def test_a_scottish_only_holiday_is_a_working_day_in_england():
    assert is_working_day(date(2026, 11, 30))  # St Andrew's Day (Scotland)
    assert is_working_day(date(2027, 1, 4))  # 2 January substitute (Scotland)


@pytest.mark.django_db
def test_school_days_are_working_days_inside_a_term():
    school = SchoolFactory()
    TermFactory(school=school, starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18))
    assert is_school_day(date(2026, 12, 18), school=school)  # last day of term, a Friday
    assert not is_school_day(date(2026, 12, 21), school=school)  # holidays
    assert not is_school_day(date(2026, 9, 1), school=school)  # before term
    assert not is_school_day(date(2026, 11, 28), school=school)  # Saturday in term


@pytest.mark.django_db
def test_one_working_day_from_friday_before_a_bank_holiday_is_tuesday():
    friday = datetime(2027, 4, 30, 10, tzinfo=LONDON)
    assert add_days(friday, 1) == datetime(2027, 5, 4, 10, tzinfo=LONDON)


@pytest.mark.django_db
def test_school_days_skip_the_holidays_between_terms():
    school = SchoolFactory()
    TermFactory(school=school, starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18))
    TermFactory(
        school=school, season="spring", starts_on=date(2027, 1, 5), ends_on=date(2027, 3, 26)
    )
    last_day = datetime(2026, 12, 18, 15, tzinfo=LONDON)
    assert add_days(last_day, 1, school=school, school_days=True).date() == date(2027, 1, 5)


def test_incidents_clock_keeps_its_names_and_uses_the_shared_calendar():
    assert incidents.clock.add_days is add_days
    assert incidents.clock.is_working_day is is_working_day
    assert incidents.clock.is_bank_holiday is is_bank_holiday
