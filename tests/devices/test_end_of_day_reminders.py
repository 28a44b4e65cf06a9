"""The end-of-day reminders (phones not collected, devices held too long), when the scheduler
was down at the end of the day (DESIGN.md: a reminder lost to an outage is sent on the next run)."""

from datetime import date, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from devices.jobs import end_of_day_reminders
from devices.models import Confiscation
from roper.models import Notification, Reminder
from tests.factories import TermFactory, confiscation, handovers, staff_allegation
from tests.reminders.helpers import at, told

TUESDAY, WEDNESDAY = date(2026, 11, 24), date(2026, 11, 25)
LATE = "End of day Tuesday 24 November: 2 phones are still not collected"
ON_TIME = "End of day: 2 phones are not yet collected"
HELD = "End of day Friday 27 November: 1 confiscated device has been held longer than 1 school day"


def test_phones_left_at_school_are_told_of_after_a_scheduler_outage_past_midnight(world):
    TermFactory(school=world.school, starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18))
    handovers(world.school, TUESDAY, 3, uncollected=2)
    # The scheduler was down from 16:00 on Tuesday; it comes back at half past midnight.
    assert end_of_day_reminders(at(WEDNESDAY, 0, 30)) == 2
    assert told(world) == {"office": [LATE], "dsl": [LATE]}
    (note,) = Notification.objects.filter(recipient=world.users["office"])
    assert note.url == "/devices/end-of-day/?day=2026-11-24"
    # The next runs, and Wednesday's end of day, send nothing more about Tuesday.
    assert end_of_day_reminders(at(WEDNESDAY, 0, 35)) == 0
    assert end_of_day_reminders(at(WEDNESDAY, 16, 45)) == 0
    assert Notification.objects.count() == 2


def test_a_reminder_sent_on_time_is_not_sent_again_the_next_day(world):
    handovers(world.school, TUESDAY, 3, uncollected=2)
    assert end_of_day_reminders(at(TUESDAY, 16, 30)) == 2
    assert end_of_day_reminders(at(WEDNESDAY, 8)) == 0
    assert told(world) == {"office": [ON_TIME], "dsl": [ON_TIME]}


def test_after_a_weekend_the_last_school_day_is_the_friday(world):
    friday, monday = date(2026, 11, 27), date(2026, 11, 30)
    handovers(world.school, friday, 2, uncollected=1)
    assert end_of_day_reminders(at(monday, 7)) == 2
    title = "End of day Friday 27 November: 1 phone is still not collected"
    assert told(world) == {"office": [title], "dsl": [title]}


def test_the_job_reads_the_same_number_of_queries_however_many_days_were_missed(world):
    def queries(days: int) -> int:
        Reminder.objects.all().delete()  # each run sends afresh
        Notification.objects.all().delete()
        for back in range(1, days + 1):
            handovers(world.school, WEDNESDAY - timedelta(days=back), 1, uncollected=1)
        with CaptureQueriesContext(connection) as captured:
            end_of_day_reminders(at(WEDNESDAY, 0, 30))
        return len(captured)

    assert queries(1) == queries(9)


def test_confiscations_held_too_long_are_told_of_after_a_weekend_outage(world):
    thursday, friday, monday = date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 30)
    TermFactory(school=world.school, starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18))
    with time_machine.travel(at(thursday, 10)):
        confiscation(world.learner, by=world.users["teacher"])
    # Held longer than one school day from Friday 10:00, told at Friday's end of day; the
    # scheduler was down from Friday 16:00 and comes back on Monday at 08:00.
    assert end_of_day_reminders(at(monday, 8)) == 2
    assert told(world) == {"office": [HELD], "dsl": [HELD]}
    assert end_of_day_reminders(at(monday, 8, 5)) == 0
    # Sent on time on Friday instead: Monday morning sends nothing more.
    Reminder.objects.all().delete()
    Notification.objects.all().delete()
    assert end_of_day_reminders(at(friday, 16, 45)) == 2
    assert end_of_day_reminders(at(monday, 8)) == 0


def test_a_late_confiscation_reminder_leaves_out_a_device_of_a_concern_concealed(world):
    thursday, monday = date(2026, 11, 26), date(2026, 11, 30)
    with time_machine.travel(at(thursday, 10)):
        allegation = staff_allegation(world, about=world.users["office"])
        device = confiscation(world.learner, by=world.users["teacher"])
    Confiscation.objects.filter(pk=device.pk).update(concern=allegation)
    end_of_day_reminders(at(monday, 8))
    assert told(world, title=HELD) == {"dsl": [HELD]}  # not the office: the allegation's subject


def test_the_last_day_of_term_is_told_of_after_a_holiday_the_scheduler_was_down_for(world):
    last_day, first_day = date(2026, 12, 18), date(2027, 1, 4)  # 17 days apart
    TermFactory(school=world.school, starts_on=date(2026, 9, 2), ends_on=last_day)
    TermFactory(
        school=world.school, season="spring", starts_on=first_day, ends_on=date(2027, 3, 26)
    )
    with time_machine.travel(at(date(2026, 12, 16), 10)):
        confiscation(world.learner, by=world.users["teacher"])
    handovers(world.school, last_day, 2, uncollected=1)
    # The scheduler was down from the last afternoon of term until the school came back.
    assert end_of_day_reminders(at(first_day, 8)) == 4
    phones = "End of day Friday 18 December: 1 phone is still not collected"
    held = (
        "End of day Friday 18 December: 1 confiscated device has been held longer than 1 school day"
    )
    assert told(world) == {"office": [phones, held], "dsl": [phones, held]}
