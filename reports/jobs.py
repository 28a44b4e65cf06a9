"""Termly reminder (run by roper.reminders, beat every few minutes or cron): when a term has
ended, the governors and the chair are told once that the governor report for it is ready.
(Here, not in people: it links to the report, and people does not depend on reports.)"""

from datetime import datetime, timedelta

from django.db.models import OuterRef, Subquery
from django.urls import reverse

from people.calendar import SchoolCalendar
from people.models import Membership, Term
from roper.reminders import job, reminder_send
from roper.roles import GOVERNANCE

#: A term is announced until this long into the school's next term, so that one whose
#: announcement the holiday after it held up (the scheduler down until the school came back)
#: is still announced, but one that ended long ago is not (a new install, a late import).
ANNOUNCE_WITHIN = timedelta(days=21)
#: The longest holiday between two terms (the summer's), for a school whose next term is not
#: on file yet: it is taken to start this long after the term ended.
LONGEST_HOLIDAY = timedelta(weeks=7)


@job("governor-report-ready")
def governor_report_ready(now: datetime) -> int:
    today = SchoolCalendar.day_of(now)
    sent = 0
    next_start = (
        Term.objects.filter(school=OuterRef("school"), starts_on__gt=OuterRef("ends_on"))
        .order_by("starts_on")
        .values("starts_on")[:1]
    )
    ended = (
        Term.objects.filter(
            ends_on__lt=today, ends_on__gte=today - LONGEST_HOLIDAY - ANNOUNCE_WITHIN
        )
        .annotate(next_start=Subquery(next_start))
        .select_related("school")
        .order_by("school_id", "-ends_on")
    )
    latest = {}  # school id -> the latest term that ended
    for term in ended:
        latest.setdefault(term.school_id, term)
    latest = {
        school_id: term
        for school_id, term in latest.items()
        if today <= (term.next_start or term.ends_on + LONGEST_HOLIDAY) + ANNOUNCE_WITHIN
    }
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
