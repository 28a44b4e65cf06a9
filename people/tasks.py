"""Celery tasks of people: thin, they call the service that does the work."""

from celery import shared_task


@shared_task
def import_apply_task(run_id: int) -> None:
    from people.services import import_run_apply

    import_run_apply(run_id=run_id)
