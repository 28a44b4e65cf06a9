"""Celery tasks of people: thin, they call the service that does the work."""

from celery import shared_task


@shared_task
def import_apply_task(run_id: int) -> None:
    from people.services import import_run_apply

    import_run_apply(run_id=run_id)


@shared_task
def mis_sync_task(connection_id: int) -> None:
    from people.models import MisConnection
    from people.services import mis_sync

    connection = MisConnection.objects.select_related("school").filter(pk=connection_id).first()
    if connection is not None and connection.enabled:
        mis_sync(connection=connection)
