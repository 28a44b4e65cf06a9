"""Emails: rendering one from its templates, and sending each exactly once however many senders
run (the task after a notification or a parent's notice is made, and the reminder job for what
it missed).
Below roper.notifications and roper.reminders, which both use it; it imports neither."""

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Model, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from roper.models import Notification

log = logging.getLogger(__name__)


#: How long a sender's claim on an email lasts. Far longer than one send can take (the SMTP
#: connection gives up after EMAIL_TIMEOUT, a task after CELERY_TASK_TIME_LIMIT), so a live
#: sender never loses its claim; a sender that died holding one frees it after this.
EMAIL_CLAIM = timedelta(minutes=10)


def email_message(*, to: str, template: str, context: dict) -> EmailMultiAlternatives:
    """The email `templates/emails/<template>_{subject,body}.txt|html` to one address."""
    message = EmailMultiAlternatives(
        subject=" ".join(render_to_string(f"emails/{template}_subject.txt", context).split()),
        body=render_to_string(f"emails/{template}_body.txt", context),
        to=[to],
    )
    message.attach_alternative(
        render_to_string(f"emails/{template}_body.html", context), "text/html"
    )
    return message


def deliver_once(
    rows: Iterable[Model],
    *,
    unclaimed: Callable[[datetime], QuerySet],
    message: Callable[[Model], EmailMultiAlternatives],
) -> int:
    """Send each row's email exactly once however many senders run at a time (a task after
    the row is made, a reminder job for what it missed), and record on the row what happened
    (`emailed_at`, `email_attempts`, `email_error`, `email_claimed_until`). Each sender first
    claims the row with one UPDATE of `unclaimed(now)` (the rows not yet emailed that no live
    sender holds), so of two overlapping senders exactly one matches it. Returns how many were
    sent."""
    sent = 0
    for row in rows:
        now = timezone.now()
        claimed = unclaimed(now).filter(pk=row.pk).update(email_claimed_until=now + EMAIL_CLAIM)
        if claimed != 1:
            continue  # another sender has it
        same_row = type(row).objects.filter(pk=row.pk)
        try:
            message(row).send()
        except OSError as exc:  # SMTP and socket errors
            same_row.update(
                email_attempts=F("email_attempts") + 1,
                email_error=str(exc)[:300],
                email_claimed_until=None,
            )
            log.warning("Email for %s %s failed: %s", row._meta.label, row.pk, exc)
            continue
        same_row.update(
            emailed_at=timezone.now(),
            email_attempts=F("email_attempts") + 1,
            email_error="",
            email_claimed_until=None,
        )
        sent += 1
    return sent


def _notification_email(note: Notification) -> EmailMultiAlternatives:
    context = {"note": note, "link": f"{settings.SITE_URL}{note.url}"}
    return email_message(to=note.recipient.email, template="notification", context=context)


def deliver_notification_emails(notification_ids: list[int]) -> int:
    """Email each not-yet-emailed notification to its recipient, exactly once however many
    senders run at a time; record each failure."""
    notes = (
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .exclude(recipient__email="")
        .select_related("recipient")
    )
    return deliver_once(
        notes, unclaimed=Notification.objects.email_unclaimed, message=_notification_email
    )


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
