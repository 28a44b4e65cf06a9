"""Celery tasks of roper: thin, they call the code that does the work. (The task that sends
notification emails is in roper.emails, beside that code: roper.notifications enqueues it,
and this module imports roper.reminders, which imports roper.notifications.)"""

from celery import shared_task

from roper.emails import send_notification_emails  # noqa: F401 - a worker registers it here
from roper.passwords import send_password_changed, send_password_reset  # noqa: F401 - likewise


@shared_task
def run_reminders() -> dict:
    """Beat runs this every few minutes; every job finds what is due from the database."""
    from roper.reminders import run_reminders as run

    return run()
