"""Reminder jobs of roper itself (discovered by roper.reminders)."""

from roper import retention  # noqa: F401 - registers the monthly retention job
from roper.drafts import drafts_forget
from roper.once import submissions_forget
from roper.reminders import job


@job("submission-keys")
def submission_keys(now) -> int:
    """Forget create forms' one-time keys after two days (roper.once)."""
    submissions_forget(now=now)
    return 0


@job("drafts")
def drafts_old(now) -> int:
    """Forget drafts a week old (roper.drafts)."""
    drafts_forget(now=now)
    return 0
