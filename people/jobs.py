"""Jobs of people on the reminders clock (discovered by roper.reminders)."""

from people.services import import_previews_forget
from roper.reminders import job


@job("import-previews")
def import_previews(now) -> int:
    """Forget the rows of import previews nobody applied within a day."""
    import_previews_forget(now=now)
    return 0
