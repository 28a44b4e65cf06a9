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
