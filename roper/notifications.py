"""Notify people in-app and by email. An email never carries case detail: only that there
is something to look at, how urgent it is, and a link that requires sign-in."""

import logging

from django.conf import settings
from django.db import transaction

from roper.models import Notification

log = logging.getLogger(__name__)


def notification_send(
    *, recipients, school, title: str, url: str = "", urgency: str = Notification.Urgency.NORMAL
) -> list[Notification]:
    """Create one in-app notification per recipient, and their emails: with a broker, a
    worker sends them after commit; without one, they wait in the database for the
    `notification-emails` reminder job (beat or cron), never sent inside the user's request,
    where a slow mail server would hold the page."""
    from roper.emails import send_notification_emails

    notes = Notification.objects.bulk_create(
        Notification(school=school, recipient=user, title=title, url=url, urgency=urgency)
        for user in {u.pk: u for u in recipients}.values()
    )
    ids = [n.pk for n in notes]
    if ids and settings.REDIS_URL:
        transaction.on_commit(lambda: _enqueue(send_notification_emails, ids))
    return notes


def _enqueue(task, *args):
    """Enqueue, and never let a broker outage fail the user's request: the record is
    saved, and the reminder jobs find what is still to send on their next run."""
    try:
        task.delay(*args)
    except Exception:  # noqa: BLE001 - any broker error; the database is the source of truth
        log.exception("Could not enqueue %s; it will be retried by the next reminder run", task)
