"""Every job at one moment where each has something due: run twice (or twice at once) →
each reminder once; and the beat task through a real worker over Redis."""

import threading
import time
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection

from devices.services import handover_check_in
from incidents.models import Entry, FilteringReview
from people.calendar import SchoolCalendar
from roper.models import Notification, Reminder
from roper.reminders import JOBS, run_reminders
from tests.factories import TermFactory, collector, confiscation, ratified_policy, report
from tests.reminders.helpers import LONDON, at
from transfers.services import transfer_send_trust

FIRST_DAY = date(2027, 1, 4)  # Monday, first day of the spring term; 1 Jan was a bank holiday
MOMENT = at(FIRST_DAY, 16, 45)

OURS = {
    "policy-reviews",
    "policy-acknowledgements",
    "concern-escalation",
    "referral-deadlines",
    "devices-end-of-day",
    "governor-report-ready",
    "concern-actions",
    "filtering-review",
    "parent-notices",
    "transfers-overdue",
}


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


@pytest.fixture
def everything_due(world):
    TermFactory(school=world.school, starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18))
    TermFactory(
        school=world.school, season="spring", starts_on=FIRST_DAY, ends_on=date(2027, 3, 26)
    )
    ratified_policy(world.school, title="Mobile", slug="mobile")  # review 1 Feb 2027
    FilteringReview.objects.create(  # the next filtering and monitoring review in 16 days
        school=world.school, reviewed_on=date(2026, 1, 20), it_provider="EduTech",
        filtering_provider="X", blocked="IWF", monitoring="network", tested=True,
        next_review_on=date(2027, 1, 20),
    )  # fmt: skip
    learner = report(
        world.school,
        world.users["teacher"],
        "social_media",
        when=datetime(2026, 12, 30, 10, tzinfo=LONDON),
    )
    Entry.objects.create(
        concern=learner,
        kind=Entry.Kind.ACTION,
        text="Speak to the class",
        assignee=world.users["dsl"],
        action_due=FIRST_DAY,
    )
    report(
        world.school,
        world.users["office"],
        "staff_online_conduct",
        people=[(world.users["leadership"], "alleged")],
        when=datetime(2026, 12, 31, 10, tzinfo=LONDON),
    )
    with time_machine.travel(at(FIRST_DAY, 8, 30)):
        handover_check_in(learner=world.learner, by=world.users["office"])
    collector(world.learner, guardian__email="parent@example.org")  # told of the confiscation
    with time_machine.travel(at(date(2026, 12, 17), 11)):
        confiscation(world.learner, by=world.users["teacher"])
    with time_machine.travel(at(date(2026, 12, 7), 11)):
        # A child's file sent to the trust's other school, not accepted in five school days.
        transfer_send_trust(
            learner=world.learner, by=world.users["dsl"], to_school=world.other_school,
            in_year=True,
        )  # fmt: skip


def test_every_job_has_something_due_and_a_second_run_sends_nothing(world, everything_due):
    first = run_reminders(now=MOMENT)
    assert set(first) >= OURS
    second = run_reminders(now=MOMENT)
    for name in OURS:
        assert first[name]["sent"], name
        assert second[name]["sent"] == 0, name
    assert len(JOBS) >= len(OURS)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_once(world, everything_due):
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            results = run_reminders(now=MOMENT)
            errors.extend(name for name, r in results.items() if r["sent"] is None)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    keys = list(Reminder.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys)) > 10
    assert Notification.objects.filter(reminder__isnull=False).count() == len(keys)
    assert run_reminders(now=MOMENT + timedelta(minutes=1))["concern-escalation"]["sent"] == 0


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_beat_task_on_a_real_worker_sends_a_due_policy_review_by_email(world):
    from celery.contrib.testing.worker import start_worker

    from roper.celery import app
    from roper.tasks import run_reminders as run_reminders_task

    today = SchoolCalendar.today()
    policy = ratified_policy(
        world.school,
        title="Mobile",
        slug="mobile",
        owner="Headteacher",
        dsl=world.users["dsl"],
        ratified_on=today - timedelta(days=300),
    )
    policy.next_review_on = today + timedelta(days=7)
    policy.save()

    def reviews():
        return [m for m in mail.outbox if m.subject.startswith("Policy review")]

    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        run_reminders_task.delay()  # no result backend: watch the outbox
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(reviews()) < 2:
            time.sleep(0.1)
    subjects = [m.subject for m in reviews()]
    when = f"{policy.next_review_on:%-d %B %Y}"
    assert subjects == [f"Policy review due {when}: Mobile — Roper"] * 2
    assert sorted(m.to[0] for m in reviews()) == sorted(
        [world.users["head"].email, world.users["dsl"].email]
    )
