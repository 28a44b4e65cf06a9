"""The "done when" of issue 6: the demo data, moved to the day before the seed policy's
review (README: `run_reminders --now 2020-12-31T09:00`), sends the expected reminders once."""

from io import StringIO

import pytest
from django.core.management import call_command

from roper.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]

SEED_REVIEW = "Policy review due 1 January 2021: Mobile Technology and Social Media Policy"


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


def run(moment: str) -> str:
    out = StringIO()
    call_command("run_reminders", "--now", moment, stdout=out)
    return out.getvalue()


def test_the_demo_sends_the_seed_policys_review_reminder_once():
    Notification.objects.all().delete()
    first = run("2020-12-31T09:00")
    assert "policy-reviews: 1 sent" in first
    (note,) = Notification.objects.filter(title=SEED_REVIEW)
    assert note.recipient.username == "head"  # the owner (none named: the head) and the DSL
    second = run("2020-12-31T09:00")
    assert all(line.endswith("s") and ": 0 sent" in line for line in second.splitlines()[:-1])
    assert Notification.objects.filter(title=SEED_REVIEW).count() == 1


def test_the_day_after_the_head_and_the_named_governor_are_told_it_is_overdue():
    run("2021-01-02T09:00")
    overdue = Notification.objects.filter(title__startswith="Policy review overdue since 1 Jan")
    assert sorted(overdue.values_list("recipient__username", flat=True)) == ["governor", "head"]
