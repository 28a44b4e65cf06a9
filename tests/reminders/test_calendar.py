import re
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Concern
from people.calendar import SchoolCalendar, is_bank_holiday, is_working_day
from tests.factories import TERMS, SchoolFactory, TermFactory, report
from tests.reminders.helpers import LONDON

ONE_MINUTE = timedelta(minutes=1)

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
    calendar = SchoolCalendar(school)
    assert calendar.is_school_day(date(2026, 12, 18))  # last day of term, a Friday
    assert not calendar.is_school_day(date(2026, 12, 21))  # holidays
    assert not calendar.is_school_day(date(2026, 9, 1))  # before term
    assert not calendar.is_school_day(date(2026, 11, 28))  # Saturday in term


def test_one_working_day_from_friday_before_a_bank_holiday_is_tuesday():
    friday = datetime(2027, 4, 30, 10, tzinfo=LONDON)
    assert SchoolCalendar().add_working_days(friday, 1) == datetime(2027, 5, 4, 10, tzinfo=LONDON)


@pytest.mark.django_db
def test_school_days_skip_the_holidays_between_terms():
    school = SchoolFactory()
    TermFactory(school=school, starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18))
    TermFactory(
        school=school, season="spring", starts_on=date(2027, 1, 5), ends_on=date(2027, 3, 26)
    )
    last_day = datetime(2026, 12, 18, 15, tzinfo=LONDON)
    assert SchoolCalendar(school).add_school_days(last_day, 1).date() == date(2027, 1, 5)


def test_today_is_the_date_in_london_just_after_midnight():
    # 00:30 on 1 July in London is still 30 June in UTC.
    with time_machine.travel(datetime(2026, 7, 1, 0, 30, tzinfo=LONDON), tick=False):
        assert SchoolCalendar.today() == date(2026, 7, 1)


def _closed(concern, at):
    Concern.objects.filter(pk=concern.pk).update(status=Concern.Status.CLOSED, closed_at=at)


def test_the_dashboard_and_the_governors_report_share_one_current_term(world, as_user):
    """In the summer holiday the current term is the autumn term (its span holds the holiday),
    for the DSL's "Closed this term" as for the governors' "this term so far"."""
    for season, start, end in TERMS:
        TermFactory(school=world.school, season=season, starts_on=start, ends_on=end)
    in_summer_term = report(world.school, world.users["teacher"])
    in_the_holiday = report(world.school, world.users["teacher"])
    _closed(in_summer_term, datetime(2026, 6, 10, 12, tzinfo=LONDON))
    _closed(in_the_holiday, datetime(2026, 7, 28, 12, tzinfo=LONDON))
    with time_machine.travel(datetime(2026, 8, 5, 9, tzinfo=LONDON), tick=False):
        autumn = world.school.terms.get(starts_on=date(2026, 9, 2))
        assert SchoolCalendar(world.school).current_term() == autumn
        response = as_user(world.users["dsl"]).get(reverse("incidents:dashboard"))
    closed = next(q for q in response.context["queues"] if q[0] == "closed")
    assert closed[1] == "Closed this term"
    assert closed[2] == 1
    assert _listed(closed[3]) == [in_the_holiday.pk]


def test_closed_this_term_starts_at_the_terms_first_midnight_in_london(world, as_user):
    """The dashboard reads "closed this term" as a range on the closing time (its index
    answers it): from midnight in London on the term's first day, which in summer time is
    23:00 the evening before in UTC."""
    for season, start, end in TERMS:
        TermFactory(school=world.school, season=season, starts_on=start, ends_on=end)
    autumn_span = SchoolCalendar(world.school).current_term_start(on=date(2026, 8, 5))
    first_midnight = datetime.combine(autumn_span, datetime.min.time(), tzinfo=LONDON)
    before, after = (report(world.school, world.users["teacher"]) for _ in range(2))
    _closed(before, first_midnight - ONE_MINUTE)
    _closed(after, first_midnight + ONE_MINUTE)
    with time_machine.travel(datetime(2026, 8, 5, 9, tzinfo=LONDON), tick=False):
        response = as_user(world.users["dsl"]).get(reverse("incidents:dashboard"))
    closed = next(q for q in response.context["queues"] if q[0] == "closed")
    assert _listed(closed[3]) == [after.pk]


def _listed(rows) -> list[int]:
    """The concerns a queue's rows link to, in order."""
    return [int(pk) for row in rows for pk in re.findall(r'href="/incidents/(\d+)/"', row)]
