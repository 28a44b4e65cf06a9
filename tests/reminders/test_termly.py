from datetime import date

import pytest

from reports.jobs import governor_report_ready
from roper.models import Notification
from tests.factories import MembershipFactory, TermFactory
from tests.reminders.helpers import at, told

READY = "The governor report for Autumn 2026 is ready"


@pytest.fixture
def autumn(world):
    return TermFactory(school=world.school, starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18))


def test_when_a_term_ends_governors_and_the_chair_are_told_once(world, autumn):
    assert governor_report_ready(at(date(2026, 12, 18), 17)) == 0  # the last day itself
    assert governor_report_ready(at(date(2026, 12, 19))) == 2
    assert governor_report_ready(at(date(2026, 12, 20))) == 0
    assert governor_report_ready(at(date(2027, 1, 4))) == 0
    assert told(world) == {"chair": [READY], "governor": [READY]}
    note = Notification.objects.first()
    assert note.url == f"/reports/governors/?term={autumn.pk}"


def test_a_trust_governor_is_told_too(world, autumn):
    trust_governor = MembershipFactory(
        school=None, trust=world.school.trust, roles=["governor"]
    ).user
    governor_report_ready(at(date(2026, 12, 21)))
    assert trust_governor.notifications.get().title == READY


def test_a_term_that_ended_long_ago_is_not_announced(world, autumn):
    TermFactory(school=world.school, starts_on=date(2025, 9, 3), ends_on=date(2025, 12, 19))
    governor_report_ready(at(date(2026, 12, 19)))
    assert set(Notification.objects.values_list("title", flat=True)) == {READY}
    assert governor_report_ready(at(date(2027, 2, 1))) == 0  # six weeks after autumn ended


def test_a_term_is_announced_after_a_summer_holiday_the_scheduler_was_down_for(world):
    summer = TermFactory(
        school=world.school, season="summer", starts_on=date(2026, 4, 13), ends_on=date(2026, 7, 21)
    )
    TermFactory(school=world.school, starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18))
    # The scheduler was down from the last day of the summer term until the school came back.
    assert governor_report_ready(at(date(2026, 9, 2))) == 2
    title = "The governor report for Summer 2026 is ready"
    assert told(world) == {"chair": [title], "governor": [title]}
    assert Notification.objects.first().url == f"/reports/governors/?term={summer.pk}"
    assert governor_report_ready(at(date(2026, 9, 2), 8, 5)) == 0


def test_a_term_is_not_announced_three_weeks_into_the_next_one(world):
    TermFactory(
        school=world.school, season="summer", starts_on=date(2026, 4, 13), ends_on=date(2026, 7, 21)
    )
    TermFactory(school=world.school, starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18))
    assert governor_report_ready(at(date(2026, 9, 24))) == 0
    assert not Notification.objects.exists()
