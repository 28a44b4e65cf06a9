import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from roper.models import Notification

log = logging.getLogger(__name__)


def deliver_notification_emails(notification_ids: list[int]) -> int:
    """Email each not-yet-emailed notification to its recipient; record each failure."""
    sent = 0
    notes = Notification.objects.filter(
        pk__in=notification_ids, emailed_at__isnull=True
    ).select_related("recipient")
    for note in notes:
        if not note.recipient.email:
            continue
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
                email_attempts=F("email_attempts") + 1, email_error=str(exc)[:300]
            )
            log.warning("Email for notification %s failed: %s", note.pk, exc)
            continue
        Notification.objects.filter(pk=note.pk).update(
            emailed_at=timezone.now(), email_attempts=F("email_attempts") + 1, email_error=""
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


@shared_task
def run_reminders() -> dict:
    """Beat runs this every few minutes; every job finds what is due from the database."""
    from roper.reminders import run_reminders as run

    return run()
