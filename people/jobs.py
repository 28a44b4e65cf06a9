"""Jobs of people on the reminders clock (discovered by roper.reminders)."""

from people.services import import_previews_forget, mis_syncs_due
from roper.reminders import job


@job("import-previews")
def import_previews(now) -> int:
    """Forget the rows of import previews nobody applied within a day."""
    import_previews_forget(now=now)
    return 0


@job("mis-sync")
def mis_sync_due(now) -> int:
    """Sync each school's MIS connection not synced for MIS_SYNC_EVERY (once a day), one
    task each (with no broker, here and now)."""
    from people.tasks import mis_sync_task

    for pk in mis_syncs_due(now=now):
        mis_sync_task.delay(pk)
    return 0
