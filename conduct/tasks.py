"""Celery tasks of conduct: thin, they call the code that does the work."""

from celery import shared_task

from conduct.notices import parent_notices_deliver


@shared_task
def send_parent_notices(notice_ids: list[int]) -> int:
    """Email the parent notices; what fails is sent by the next `parent-notices` job run."""
    return parent_notices_deliver(notice_ids)
