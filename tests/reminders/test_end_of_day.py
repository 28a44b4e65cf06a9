from datetime import date, datetime, time

import pytest
import time_machine

from devices.jobs import end_of_day_reminders
from devices.models import DeviceSettings, Handover
from devices.services import handover_check_in
from roper.models import Notification
from tests.factories import TermFactory, confiscation
from tests.reminders.helpers import LONDON, at, told

TUESDAY = date(2026, 11, 24)
PHONE = "End of day: 1 phone is not yet collected"


@pytest.fixture
def terms(world):
    TermFactory(school=world.school, starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18))
    TermFactory(
        school=world.school, season="summer", starts_on=date(2027, 4, 19), ends_on=date(2027, 7, 21)
    )


def check_in(world, day: date):
    with time_machine.travel(at(day, 8, 30)):
        return handover_check_in(learner=world.learner, by=world.users["office"])


def test_phones_not_collected_go_to_the_office_and_dsl_at_half_past_four(world, terms):
    check_in(world, TUESDAY)
    assert end_of_day_reminders(at(TUESDAY, 16, 29)) == 0
    assert end_of_day_reminders(at(TUESDAY, 16, 30)) == 2
    assert end_of_day_reminders(at(TUESDAY, 16, 35)) == 0  # the next beat: nothing new
    assert told(world) == {"office": [PHONE], "dsl": [PHONE]}
    (note,) = Notification.objects.filter(recipient=world.users["dsl"])
    assert note.url == "/devices/end-of-day/"


def test_a_collected_phone_is_not_reported(world, terms):
    handover = check_in(world, TUESDAY)
    Handover.objects.filter(pk=handover.pk).update(out_at=at(TUESDAY, 15, 20))
    assert end_of_day_reminders(at(TUESDAY, 17)) == 0


def test_the_time_is_set_per_school(world, terms):
    DeviceSettings.objects.create(school=world.school, end_of_day_at=time(15, 15))
    check_in(world, TUESDAY)
    assert end_of_day_reminders(at(TUESDAY, 15, 14)) == 0
    assert end_of_day_reminders(at(TUESDAY, 15, 16)) == 2


def test_no_reminder_on_a_weekend_or_a_bank_holiday_or_in_the_holidays(world, terms):
    for day in [date(2026, 11, 28), date(2027, 5, 3), date(2026, 12, 21)]:  # Sat, May Day, hols
        Handover.objects.create(
            school=world.school,
            learner=world.learner,
            school_day=day,
            in_at=at(day, 8, 30),
            received_by=world.users["office"],
        )
        assert end_of_day_reminders(at(day, 17)) == 0
    assert not Notification.objects.exists()


def test_confiscations_held_longer_than_the_limit_are_counted_without_names(world, terms):
    with time_machine.travel(at(date(2026, 11, 27), 10)):  # Friday
        confiscation(world.learner, by=world.users["teacher"])
    assert end_of_day_reminders(at(date(2026, 11, 27), 16, 45)) == 0
    assert end_of_day_reminders(at(date(2026, 11, 30), 16, 45)) == 2  # one school day later
    title = "1 confiscated device has been held longer than 1 school day"
    assert told(world) == {"office": [title], "dsl": [title]}
    assert world.learner.legal_last_name not in title


def test_the_confiscation_limit_is_set_per_school(world, terms):
    DeviceSettings.objects.create(school=world.school, confiscation_limit_days=3)
    with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=LONDON)):  # Monday
        confiscation(world.learner, by=world.users["teacher"])
    assert end_of_day_reminders(at(date(2026, 11, 25), 17)) == 0
    assert end_of_day_reminders(at(date(2026, 11, 26), 17)) == 2
    assert Notification.objects.first().title.endswith("longer than 3 school days")


def test_another_schools_staff_are_never_told(world, terms):
    check_in(world, TUESDAY)
    end_of_day_reminders(at(TUESDAY, 17))
    assert not Notification.objects.filter(recipient=world.users["outsider"]).exists()
