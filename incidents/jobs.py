"""Reminder jobs of incidents, run by roper.reminders (beat every few minutes, or cron).

- concern-escalation: a concern not triaged by its deadline goes up its chain
  (`incidents.routing.concerns_escalate`).
- referral-deadlines: a required referral (LADO within one working day of the report; police
  by the concern's own deadline) not recorded on the timeline by its deadline → the owner;
  one working day (police: as long again) later, still not recorded → the headteacher (the
  chair of governors when the concern is about the headteacher).
"""

from datetime import datetime

from django.urls import reverse

from incidents.models import Concern, Referral
from incidents.routing import concerns_escalate
from people.calendar import SchoolCalendar
from people.models import Membership
from roper.models import Notification
from roper.reminders import job, reminder_send
from roper.roles import Role

#: The referrals Roper chases (the others are "as appropriate" or as the DSL decides).
CHASED = (Referral.LADO, Referral.POLICE)


@job("concern-escalation")
def escalate_overdue_concerns(now) -> int:
    """A concern not triaged by its deadline goes to the next person in the chain."""
    return concerns_escalate(now=now)


def referral_deadlines(concern: Concern, referral: str) -> tuple[datetime, datetime]:
    """When the owner, then the headteacher, is told that `referral` is not yet recorded."""
    if referral == Referral.LADO:
        calendar = SchoolCalendar(concern.school)
        first = calendar.add_working_days(concern.reported_at, 1)
        return first, calendar.add_working_days(first, 1)
    first = concern.deadline or concern.reported_at
    return first, first + (first - concern.reported_at)


@job("referral-deadlines")
def chase_referrals(now: datetime) -> int:
    """Tell the owner, then the headteacher, of a required referral not recorded in time."""
    sent = 0
    concerns = (
        Concern.objects.exclude(status=Concern.Status.CLOSED)
        .filter(category__required_referrals__isnull=False, reported_at__lt=now)
        .select_related("category", "school", "owner")
        .with_referral_entries()
    )
    holders = {}
    for concern in concerns:
        for referral in CHASED:
            if referral not in concern.referrals_pending:
                continue
            owner_at, head_at = referral_deadlines(concern, referral)
            if now < owner_at:
                continue
            label = Referral(referral).label
            url = reverse("incidents:detail", args=[concern.pk])
            if concern.owner_id:
                sent += reminder_send(
                    key=f"referral-deadline:{concern.pk}:{referral}:owner",
                    recipients=[concern.owner],
                    school=concern.school,
                    title=f"A required {label} referral is past its deadline",
                    url=url,
                    urgency=Notification.Urgency.URGENT,
                )
            if now < head_at:
                continue
            if concern.school_id not in holders:
                holders[concern.school_id] = Membership.objects.holders_by_role(concern.school)
            subjects = concern.subject_staff_ids
            role = Role.CHAIR if concern.is_about_head else Role.HEADTEACHER
            people = [u for u in holders[concern.school_id].get(role, []) if u.pk not in subjects]
            if people:
                concern.routed_to.add(*people)
            sent += reminder_send(
                key=f"referral-deadline:{concern.pk}:{referral}:head",
                recipients=people,
                school=concern.school,
                title=f"A required {label} referral is still not recorded",
                url=url,
                urgency=Notification.Urgency.URGENT,
            )
    return sent
