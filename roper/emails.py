"""Notification emails: sending them, exactly once however many senders run (the task after a
notification is created, and the `notification-emails` reminder job for what it missed).
Below roper.notifications and roper.reminders, which both use it; it imports neither."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from roper.models import Notification

log = logging.getLogger(__name__)


#: How long a sender's claim on an email lasts. Far longer than one send can take (the SMTP
#: connection gives up after EMAIL_TIMEOUT, a task after CELERY_TASK_TIME_LIMIT), so a live
#: sender never loses its claim; a sender that died holding one frees it after this.
EMAIL_CLAIM = timedelta(minutes=10)


def _claim(note: Notification) -> bool:
    """Claim one email for this sender. One UPDATE, so of two overlapping runs (the task and
    the reminder job, or two beats) exactly one matches the row and sends it."""
    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=note.pk)
        .email_unclaimed(now)
        .update(email_claimed_until=now + EMAIL_CLAIM)
    )
    return claimed == 1


def deliver_notification_emails(notification_ids: list[int]) -> int:
    """Email each not-yet-emailed notification to its recipient, exactly once however many
    senders run at a time; record each failure."""
    sent = 0
    notes = (
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("recipient")
    )
    for note in notes:
        if not _claim(note):
            continue  # another sender has it
        context = {"note": note, "link": f"{settings.SITE_URL}{note.url}"}
        message = EmailMultiAlternatives(
            subject=render_to_string("emails/notification_subject.txt", context).strip(),
            body=render_to_string("emails/notification_body.txt", context),
            to=[note.recipient.email],
        )
        message.attach_alternative(
            render_to_string("emails/notification_body.html", context), "text/html"
        )
        try:
            message.send()
        except OSError as exc:  # SMTP and socket errors
            Notification.objects.filter(pk=note.pk).update(
                email_attempts=F("email_attempts") + 1,
                email_error=str(exc)[:300],
                email_claimed_until=None,
            )
            log.warning("Email for notification %s failed: %s", note.pk, exc)
            continue
        Notification.objects.filter(pk=note.pk).update(
            emailed_at=timezone.now(),
            email_attempts=F("email_attempts") + 1,
            email_error="",
            email_claimed_until=None,
        )
        sent += 1
    return sent


@shared_task(bind=True, max_retries=5)
def send_notification_emails(self, notification_ids: list[int]) -> int:
    """Email the notifications; retry with backoff while any is still unsent."""
    sent = deliver_notification_emails(notification_ids)
    unsent = Notification.objects.filter(
        pk__in=notification_ids, emailed_at__isnull=True, recipient__email__gt=""
    ).exists()
    if unsent and not self.request.is_eager:
        raise self.retry(countdown=30 * 2**self.request.retries)
    return sent
