"""Notify people in-app and by email. An email never carries case detail: only that there
is something to look at, how urgent it is, and a link that requires sign-in."""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from roper.models import Notification

log = logging.getLogger(__name__)

#: How long a user's unread count is kept (seconds): every change to their notifications
#: forgets it (`unread_changed`), so this only bounds a count read in a race with a change.
UNREAD_TIMEOUT = 60


def _unread_key(user_id) -> str:
    return f"notifications:unread:{user_id}"


def unread_count(user) -> int:
    """How many of the user's notifications are unread (the badge on every page). Kept in the
    shared cache (Redis) between changes: a query on each page was a tenth of a cached
    report's time. Without a shared cache, one worker would not hear of another's change:
    counted every time."""
    count = cache.get(_unread_key(user.pk)) if settings.SHARED_CACHE else None
    if count is None:
        count = user.notifications.filter(read_at__isnull=True).count()
        if settings.SHARED_CACHE:
            cache.set(_unread_key(user.pk), count, UNREAD_TIMEOUT)
    return count


def unread_changed(user_ids) -> None:
    """These users' notifications changed: their counts are read again, now and once the
    change commits (a count read before the commit and kept after it would be stale)."""
    if not settings.SHARED_CACHE:
        return
    keys = [_unread_key(pk) for pk in set(user_ids)]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def on_notification_change(sender, instance, **kwargs):
    """post_save, post_delete of a Notification (a read, an admin's edit, a deletion)."""
    unread_changed([instance.recipient_id])


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
    unread_changed(n.recipient_id for n in notes)  # bulk_create sends no post_save
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
