"""Reminder jobs of roper itself (discovered by roper.reminders)."""

from roper import retention  # noqa: F401 - registers the monthly retention job
