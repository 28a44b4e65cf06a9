from datetime import date

import pytest

from policies.jobs import acknowledgement_reminders
from policies.models import TrainingAttendance
from policies.services import acknowledgement_record
from tests.factories import TrainingSessionFactory, ratified_policy
from tests.reminders.helpers import at, told

MONDAY = date(2026, 11, 30)
BOTH = "This week, please acknowledge 1 policy and book your training refresher (overdue)"
READ = "This week, please acknowledge 1 policy"
SUMMARY = (
    "This week: 2 staff have policies to acknowledge; 1 member of staff is overdue for training"
)


@pytest.fixture
def outstanding(world):
    """Everyone but the office and the teacher has read the policy; everyone but the teacher
    has had training this year."""
    policy = ratified_policy(world.school, title="Mobile", slug="mobile")
    session = TrainingSessionFactory(school=world.school, held_on=date(2026, 9, 2))
    for name in ["office", "leadership", "osl", "dsl", "deputy_dsl", "head"]:
        TrainingAttendance.objects.create(session=session, user=world.users[name])
        if name != "office":
            acknowledgement_record(version=policy.current_version, user=world.users[name])
    elsewhere = TrainingSessionFactory(school=world.other_school, held_on=date(2026, 9, 2))
    TrainingAttendance.objects.create(session=elsewhere, user=world.users["outsider"])
    return policy


def test_staff_are_nudged_once_a_week_and_the_head_gets_a_summary(world, outstanding):
    assert acknowledgement_reminders(at(MONDAY, 6, 59)) == 0  # not before 07:00
    assert acknowledgement_reminders(at(MONDAY, 7)) == 3
    assert acknowledgement_reminders(at(MONDAY, 7, 5)) == 0
    assert acknowledgement_reminders(at(date(2026, 12, 3), 12)) == 0  # later that week
    assert told(world) == {"office": [READ], "teacher": [BOTH], "head": [SUMMARY]}
    assert acknowledgement_reminders(at(date(2026, 12, 7), 7)) == 3  # the next week


def test_in_a_bank_holiday_week_the_nudge_waits_for_tuesday(world, outstanding):
    assert acknowledgement_reminders(at(date(2027, 5, 3), 10)) == 0  # Early May bank holiday
    assert acknowledgement_reminders(at(date(2027, 5, 4), 7)) == 3


def test_no_nudge_at_the_weekend_before_the_weeks_first(world, outstanding):
    assert acknowledgement_reminders(at(date(2026, 11, 29), 12)) == 3  # Sunday: week 48's
    assert acknowledgement_reminders(at(MONDAY, 7)) == 3  # Monday: week 49's


def test_nothing_is_sent_when_everyone_is_up_to_date(world, outstanding):
    for name in ["office", "teacher"]:
        acknowledgement_record(version=outstanding.current_version, user=world.users[name])
    TrainingAttendance.objects.create(
        session=TrainingSessionFactory(school=world.school, held_on=date(2026, 10, 1)),
        user=world.users["teacher"],
    )
    assert acknowledgement_reminders(at(MONDAY, 9)) == 0


def test_the_summary_names_only_what_is_outstanding(world, outstanding):
    for name in ["office", "teacher"]:
        acknowledgement_record(version=outstanding.current_version, user=world.users[name])
    acknowledgement_reminders(at(MONDAY, 9))
    summary = "This week: 1 member of staff is overdue for training"
    assert told(world)["head"] == [summary]


def test_governors_are_not_nudged(world, outstanding):
    acknowledgement_reminders(at(MONDAY, 9))
    assert not {"governor", "chair", "admin"} & set(told(world))
