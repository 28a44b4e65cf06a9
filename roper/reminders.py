"""Reminders on a clock.

Each app registers its jobs in `<app>/jobs.py` with `@job("name")`; a job takes `now` and sends
what is due through `reminder_send`, which records every reminder under a unique key, so
running a job twice never sends twice. Beat runs every job every few minutes
(`roper.tasks.run_reminders`); `manage.py run_reminders` runs the same code once, for cron.
The database is the source of truth: whatever a broker outage delayed is found and sent on
the next run.
"""

import logging
import time
from collections.abc import Callable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from roper.models import Notification, Reminder
from roper.notifications import notification_send

log = logging.getLogger(__name__)

JOBS: dict[str, Callable[[datetime], int]] = {}
EMAIL_JOB = "notification-emails"


def job(name: str):
    """Register a reminder job: a function (now) -> number of reminders sent."""

    def register(func):
        JOBS[name] = func
        return func

    return register


def reminder_send(
    *,
    key: str,
    recipients,
    school,
    title: str,
    url: str = "",
    urgency: str = Notification.Urgency.NORMAL,
) -> int:
    """Notify each recipient once for `key`. Returns how many were sent now."""
    sent = 0
    for user in {u.pk: u for u in recipients}.values():
        try:
            with transaction.atomic():
                # The unique key settles a race between two runs: one insert wins.
                reminder = Reminder.objects.create(
                    key=f"{key}:u{user.pk}"[:255], school=school, recipient=user
                )
                (note,) = notification_send(
                    recipients=[user], school=school, title=title, url=url, urgency=urgency
                )
                reminder.notification = note
                reminder.save(update_fields=["notification"])
        except IntegrityError:
            continue
        sent += 1
    return sent


def reminders_send_once_each(*, keys: list[str], recipients, school, title, url, urgency) -> int:
    """`reminder_send` for many records at once: tell each recipient, in one notification, of
    the records named by `keys` they have not been told of yet (`title(count)`); each record's
    key is recorded, so each is told once. Returns how many notifications were sent."""
    sent = 0
    for user in recipients:
        wanted = [f"{key}:u{user.pk}"[:255] for key in keys]
        told = set(Reminder.objects.filter(key__in=wanted).values_list("key", flat=True))
        new = [key for key in wanted if key not in told]
        if not new:
            continue
        try:
            with transaction.atomic():
                # The unique keys settle a race between two runs: one insert wins.
                Reminder.objects.bulk_create(
                    Reminder(key=key, school=school, recipient=user) for key in new
                )
                (note,) = notification_send(
                    recipients=[user], school=school, title=title(len(new)), url=url,
                    urgency=urgency,
                )  # fmt: skip
                Reminder.objects.filter(key=new[0]).update(notification=note)
        except IntegrityError:
            continue  # another run told them; anything it did not is told next run
        sent += 1
    return sent


def run_reminders(now: datetime | None = None, only: list[str] | None = None) -> dict:
    """Run every registered job once; a job that fails is logged and the others still run."""
    autodiscover_modules("jobs")
    now = now or timezone.now()
    results = {}
    # The email job last, so that what the other jobs notify goes out in the same run.
    for name, func in sorted(JOBS.items(), key=lambda item: (item[0] == EMAIL_JOB, item[0])):
        if only and name not in only:
            continue
        started = time.perf_counter()
        try:
            count = func(now)
        except Exception:  # noqa: BLE001 - one job's failure must not stop the others
            log.exception("Reminder job %s failed", name)
            count = None
        results[name] = {"sent": count, "seconds": round(time.perf_counter() - started, 3)}
    return results


EMAIL_MAX_ATTEMPTS = 5


@job(EMAIL_JOB)
def email_pending_notifications(now: datetime) -> int:
    """Email notifications still to send: all of them with no broker, else those a broker
    outage or a mail server delayed. A claim per email (roper.emails) keeps this and a
    worker sending at the same time from sending one twice."""
    from roper.emails import deliver_notification_emails

    pending = list(
        Notification.objects.email_due(timezone.now(), EMAIL_MAX_ATTEMPTS)
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )
    return deliver_notification_emails(pending) if pending else 0
