"""Reminder jobs of incidents, run by roper.reminders (beat every few minutes, or cron).

- concern-escalation: a concern not triaged by its deadline goes up its chain
  (`incidents.routing.concerns_escalate`).
- referral-deadlines: a required referral (LADO within one working day of the report; police
  by the concern's own deadline) not recorded on the timeline by its deadline → the owner;
  one working day (police: as long again) later, still not recorded → the headteacher (the
  chair of governors when the concern is about the headteacher).
- concern-actions: an action not done → whoever it was given to, on the day it is due, then
  once when it is overdue (if they may still open the concern). The message names no child:
  a link to the concern.
- filtering-review: the school's next filtering and monitoring review (DfE standards, the
  date its latest review set) → the DSL and the headteacher 30 days before it is due, once;
  and once when it is overdue, to them and the chair of governors. A new review sets a new
  date, and the reminders start again.
"""

from datetime import datetime

from django.db.models import OuterRef, Subquery
from django.urls import reverse

from incidents.models import Concern, Entry, FilteringReview, Referral
from incidents.routing import concerns_escalate
from incidents.services import FILTERING_REMINDER_BEFORE
from incidents.visibility import concerns_visible_to
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
        Concern.objects.exclude(status__in=Concern.ENDED)
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


@job("concern-actions")
def remind_actions(now: datetime) -> int:
    """Tell whoever an action was given to that it is due today, and once that it is
    overdue: only for actions on concerns they may still open (one query per person)."""
    today = SchoolCalendar.day_of(now)
    actions = (
        Entry.objects.actions_open()
        .filter(action_due__lte=today)
        .select_related("assignee", "concern__school")
        .order_by("assignee_id", "action_due")
    )
    by_person: dict[int, list[Entry]] = {}
    for action in actions:
        by_person.setdefault(action.assignee_id, []).append(action)
    sent = 0
    for person_actions in by_person.values():
        person = person_actions[0].assignee
        if not person.is_active:
            continue
        visible = set(
            concerns_visible_to(person)
            .filter(pk__in={a.concern_id for a in person_actions})
            .values_list("pk", flat=True)
        )
        for action in person_actions:
            if action.concern_id not in visible:
                continue
            due_today = action.action_due == today
            sent += reminder_send(
                key=f"concern-action:{action.pk}:{'due' if due_today else 'overdue'}",
                recipients=[person],
                school=action.concern.school,
                title="An action on a concern is due today"
                if due_today
                else "An action on a concern is overdue",
                url=reverse("incidents:detail", args=[action.concern_id]),
                urgency=Notification.Urgency.NORMAL if due_today else Notification.Urgency.HIGH,
            )
    return sent


@job("filtering-review")
def remind_filtering_review(now: datetime) -> int:
    """30 days before a school's next filtering and monitoring review, and once overdue."""
    today = SchoolCalendar.day_of(now)
    latest = FilteringReview.objects.filter(school=OuterRef("school")).values("pk")[:1]
    due = FilteringReview.objects.filter(
        pk=Subquery(latest), next_review_on__lte=today + FILTERING_REMINDER_BEFORE
    ).select_related("school")
    url = reverse("incidents:filtering")
    sent = 0
    for review in due:
        school = review.school
        when = f"{review.next_review_on:%-d %B %Y}"
        key = f"filtering-review:{school.pk}:{review.next_review_on}"
        if review.next_review_on < today:
            sent += reminder_send(
                key=f"{key}:overdue",
                recipients=Membership.objects.holders(
                    school, roles=[Role.DSL, Role.HEADTEACHER, Role.CHAIR]
                ),
                school=school,
                title=f"The filtering and monitoring review is overdue (due {when})",
                url=url,
                urgency=Notification.Urgency.HIGH,
            )
        else:
            sent += reminder_send(
                key=f"{key}:due",
                recipients=Membership.objects.holders(school, roles=[Role.DSL, Role.HEADTEACHER]),
                school=school,
                title=f"The filtering and monitoring review is due by {when}",
                url=url,
            )
    return sent
