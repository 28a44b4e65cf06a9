import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from roper.models import Notification, Reminder
from roper.notifications import notification_send
from roper.reminders import JOBS, job, reminder_send


@pytest.fixture
def dsl(world):
    return world.users["dsl"]


@pytest.mark.django_db
def test_a_reminder_is_sent_once_however_often_it_is_asked_for(world, dsl):
    for _ in range(3):
        reminder_send(
            key="policy-review:7:30-days",
            recipients=[dsl],
            school=world.school,
            title="A policy review is due in 30 days",
        )
    assert Reminder.objects.count() == 1
    assert Notification.objects.filter(recipient=dsl).count() == 1


@pytest.mark.django_db
def test_each_step_and_each_recipient_is_its_own_reminder(world, dsl):
    head = world.users["head"]
    sent = reminder_send(
        key="policy-review:7:30-days", recipients=[dsl, head, dsl], school=world.school, title="x"
    )
    sent += reminder_send(
        key="policy-review:7:7-days", recipients=[dsl], school=world.school, title="x"
    )
    assert sent == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_send_one_reminder(world, dsl):
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(
                reminder_send(key="race", recipients=[dsl], school=world.school, title="x")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 1]
    assert Notification.objects.filter(recipient=dsl).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_notification_made_while_the_broker_is_down_is_emailed_by_the_next_run(
    world, dsl, monkeypatch, settings
):
    from roper import emails

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to redis:6379")

    settings.REDIS_URL = "redis://redis:6379/0"  # a broker is configured, but down
    monkeypatch.setattr(emails.send_notification_emails, "delay", broker_down)
    notification_send(recipients=[dsl], school=world.school, title="A new concern to triage")
    assert Notification.objects.filter(recipient=dsl).count() == 1  # saved all the same
    assert mail.outbox == []

    out = StringIO()
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        call_command("run_reminders", "--job", "notification-emails", stdout=out)
        call_command("run_reminders", "--job", "notification-emails", stdout=out)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [dsl.email]
    assert "notification-emails: 1 sent" in out.getvalue()
    assert "notification-emails: 0 sent" in out.getvalue()


@pytest.mark.django_db
def test_emails_carry_no_case_detail_only_a_link(
    world, dsl, settings, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = "redis://redis:6379/0"  # sent by the (eager) task after commit
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(
            recipients=[dsl],
            school=world.school,
            title="A new concern to triage",
            url="/incidents/12/",
            urgency="urgent",
        )
    (email,) = mail.outbox
    assert email.subject == "URGENT: A new concern to triage — Roper"
    assert "http://127.0.0.1:8000/incidents/12/" in email.body
    assert "does not contain any case detail" in email.body
    assert email.alternatives[0][1] == "text/html"


@pytest.mark.django_db
def test_an_email_failure_is_recorded_for_the_admin_and_retried(world, dsl, monkeypatch):
    from roper.emails import deliver_notification_emails

    note = Notification.objects.create(school=world.school, recipient=dsl, title="x")
    monkeypatch.setattr(
        "django.core.mail.EmailMultiAlternatives.send",
        lambda self: (_ for _ in ()).throw(ConnectionRefusedError("smtp down")),
    )
    assert deliver_notification_emails([note.pk]) == 0
    note.refresh_from_db()
    assert (note.emailed_at, note.email_attempts, note.email_error) == (None, 1, "smtp down")
    monkeypatch.undo()
    assert deliver_notification_emails([note.pk]) == 1
    note.refresh_from_db()
    assert note.emailed_at is not None and note.email_error == ""


@pytest.mark.django_db
def test_run_reminders_runs_every_job_and_reports_a_failing_one(world, monkeypatch):
    calls = []
    monkeypatch.setitem(JOBS, "test-ok", lambda now: calls.append(now) or 2)

    @job("test-broken")
    def broken(now):
        raise RuntimeError("boom")

    try:
        out = StringIO()
        with pytest.raises(Exception, match="At least one job failed"):
            call_command("run_reminders", "--now", "2026-11-30T08:00", stdout=out)
        assert "test-ok: 2 sent" in out.getvalue()
        assert "test-broken: FAILED" in out.getvalue()
        assert calls[0].isoformat().startswith("2026-11-30T08:00")
    finally:
        JOBS.pop("test-broken")


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_a_notification_email_through_redis(world, dsl, settings):
    from celery.contrib.testing.worker import start_worker

    from roper.celery import app
    from roper.emails import send_notification_emails

    note = Notification.objects.create(school=world.school, recipient=dsl, title="Through Redis")
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        send_notification_emails.delay([note.pk])
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            note.refresh_from_db()
            if note.emailed_at:
                break
            time.sleep(0.1)
    assert note.emailed_at is not None
    assert [m.subject for m in mail.outbox] == ["Through Redis — Roper"]
