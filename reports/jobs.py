"""Termly reminder (run by roper.reminders, beat every few minutes or cron): when a term has
ended, the governors and the chair are told once that the governor report for it is ready.
(Here, not in people: it links to the report, and people does not depend on reports.)"""

from datetime import datetime, timedelta

from django.urls import reverse

from people.calendar import SchoolCalendar
from people.models import Membership, Term
from roper.reminders import job, reminder_send
from roper.roles import GOVERNANCE

#: A term that ended longer ago than this is not announced (a new install, a late import).
ANNOUNCE_WITHIN = timedelta(days=21)


@job("governor-report-ready")
def governor_report_ready(now: datetime) -> int:
    today = SchoolCalendar.day_of(now)
    sent = 0
    ended = (
        Term.objects.filter(ends_on__lt=today, ends_on__gte=today - ANNOUNCE_WITHIN)
        .select_related("school")
        .order_by("school_id", "-ends_on")
    )
    latest = {}  # school id -> the latest term that ended
    for term in ended:
        latest.setdefault(term.school_id, term)
    governance = Membership.objects.holders_by_school(latest, roles=GOVERNANCE)
    for term in latest.values():
        sent += reminder_send(
            key=f"governor-report:term{term.pk}",
            recipients=governance[term.school_id],
            school=term.school,
            title=f"The governor report for {term} is ready",
            url=f"{reverse('reports:governors')}?term={term.pk}",
        )
    return sent
