"""Termly reminder (run by roper.reminders, beat every few minutes or cron): when a term has
ended, the governors and the chair are told once that the governor report for it is ready.
(Here, not in people: it links to the report, and people does not depend on reports.)"""

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from people.models import Membership, Term
from roper.reminders import job, reminder_send
from roper.roles import GOVERNANCE

#: A term that ended longer ago than this is not announced (a new install, a late import).
ANNOUNCE_WITHIN = timedelta(days=21)


def governors_report_url(term: Term) -> str:
    return f"{reverse('reports:governors')}?term={term.pk}"


def governance_people(school) -> list:
    """Active governors and chairs of the school (directly or through its trust)."""
    rows = Membership.objects.filter(user__is_active=True).select_related("user")
    if school.trust_id:
        rows = rows.filter(school=school) | rows.filter(trust_id=school.trust_id)
    else:
        rows = rows.filter(school=school)
    return [m.user for m in rows.order_by("user_id") if GOVERNANCE & set(m.roles)]


@job("governor-report-ready")
def governor_report_ready(now: datetime) -> int:
    today = timezone.localdate(now)
    sent = 0
    ended = (
        Term.objects.filter(ends_on__lt=today, ends_on__gte=today - ANNOUNCE_WITHIN)
        .select_related("school")
        .order_by("school_id", "-ends_on")
    )
    seen = set()
    for term in ended:
        if term.school_id in seen:  # only the latest term that ended
            continue
        seen.add(term.school_id)
        sent += reminder_send(
            key=f"governor-report:term{term.pk}",
            recipients=governance_people(term.school),
            school=term.school,
            title=f"The governor report for {term} is ready",
            url=governors_report_url(term),
        )
    return sent
