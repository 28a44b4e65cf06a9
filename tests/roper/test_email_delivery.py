"""Notification emails cannot hang a request, a worker or a cron run, and go exactly once."""

import socket
import threading
import time
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from roper.emails import EMAIL_CLAIM, deliver_notification_emails
from roper.models import Notification
from tests.incidents.test_views import _form


class WatchedBackend(BaseEmailBackend):
    """A mail backend that counts who opens it."""

    opened = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        type(self).opened += 1

    def send_messages(self, messages):
        return 0


def _emails(world, count):
    return [
        Notification.objects.create(
            school=world.school, recipient=world.users["dsl"], title=f"N{n}"
        )
        for n in range(count)
    ]


def _send_emails():
    out = StringIO()
    call_command("run_reminders", "--job", "notification-emails", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_without_a_broker_a_report_is_saved_without_waiting_for_the_mail_server(
    world, as_user, settings, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = ""
    settings.EMAIL_BACKEND = f"{__name__}.WatchedBackend"
    WatchedBackend.opened = 0
    client = as_user(world.users["teacher"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("incidents:new"), _form(world))
    assert response.status_code == 302
    assert WatchedBackend.opened == 0, "the request waited for the mail server"
    notes = Notification.objects.exclude(recipient__email="")
    assert notes.exists()
    assert set(notes.values_list("emailed_at", "email_attempts")) == {(None, 0)}  # pending

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    first, second = _send_emails(), _send_emails()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(n.recipient.email for n in notes)
    assert f"notification-emails: {notes.count()} sent" in first
    assert "notification-emails: 0 sent" in second
    assert not Notification.objects.filter(pk__in=notes, emailed_at__isnull=True).exists()


@pytest.mark.django_db
def test_with_a_broker_the_worker_sends_the_email_after_commit(
    world, settings, django_capture_on_commit_callbacks
):
    from roper.notifications import notification_send

    settings.REDIS_URL = "redis://redis:6379/0"  # tasks still run eagerly in tests
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipients=[world.users["dsl"]], school=world.school, title="Now")
    assert [m.subject for m in mail.outbox] == ["Now — Roper"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_email_runs_send_each_email_exactly_once(world):
    notes = _emails(world, 30)
    barrier = threading.Barrier(2)
    sent = []

    def run():
        try:
            barrier.wait()
            sent.append(deliver_notification_emails([n.pk for n in notes]))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(sent) == 30
    assert Counter(m.subject for m in mail.outbox) == {f"N{n} — Roper": 1 for n in range(30)}
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


@pytest.mark.django_db
def test_an_email_claimed_by_a_sender_that_died_is_sent_once_the_claim_expires(world):
    (note,) = _emails(world, 1)
    Notification.objects.filter(pk=note.pk).update(
        email_claimed_until=timezone.now() + EMAIL_CLAIM  # a sender claimed it, then crashed
    )
    assert "notification-emails: 0 sent" in _send_emails()
    with time_machine.travel(timezone.now() + EMAIL_CLAIM + timedelta(minutes=1)):
        assert "notification-emails: 1 sent" in _send_emails()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_mail_server_that_never_answers_is_given_up_on_after_email_timeout(world, settings):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never sends the SMTP greeting
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent.getsockname()[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 0.5
    (note,) = _emails(world, 1)
    started = time.monotonic()
    try:
        assert deliver_notification_emails([note.pk]) == 0
    finally:
        silent.close()
    assert time.monotonic() - started < 5
    note.refresh_from_db()
    assert note.emailed_at is None and note.email_attempts == 1
    assert note.email_claimed_until is None  # free for the next run to retry
    assert "timed out" in note.email_error


def test_mail_and_tasks_have_time_limits_by_default(settings):
    from roper.celery import app

    assert settings.EMAIL_TIMEOUT == 10
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
