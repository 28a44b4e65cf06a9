"""Notices to parents and carers on file: when a breach reaches a step of the ladder that
involves parents, when their child's phone is confiscated, and when it is ready to collect.

Each notice is a `ParentNotice` row, written in the transaction of what caused it: an email to
each parent or carer on file with an address; a printed letter when none has one; or, when no
one may be told, a row saying why (staff see it on the breach). Emails leave after commit: a
worker sends them when there is a broker, otherwise the `parent-notices` job (beat or cron)
does, as for notification emails, never inside the user's request.

What a notice says is what the parent needs: the child's first name, the day, the school's
next step. Never a staff member's name, never another child, never what was on the phone."""

import logging
from contextvars import ContextVar

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from conduct.models import Breach, ParentNotice
from devices.models import ConfiscationReason
from people.models import Guardianship
from roper.emails import deliver_once, email_message

log = logging.getLogger(__name__)

Kind, Channel = ParentNotice.Kind, ParentNotice.Channel

NO_ONE_ON_FILE = "No parent or carer is on file for this learner: tell the office."
NOT_TO_BE_CONTACTED = (
    "The parents or carers on file are not to be sent the school's notices: ask the DSL "
    "how they are to be told."
)
EVIDENCE = (
    "The phone was confiscated for suspected illegal material: the DSL decides when and how "
    "parents are told."
)
#: Sending stops after this many failures; the notice then shows as not emailed.
MAX_ATTEMPTS = 5


def parent_notices_send(
    *, learner, kind: str, by=None, breach: Breach | None = None, confiscation=None
) -> list[ParentNotice]:
    """Record the notices for one event (and send the emails after commit)."""
    common = {
        "school_id": learner.school_id,
        "learner": learner,
        "kind": kind,
        "by": by,
        "breach": breach,
        "confiscation": confiscation,
    }
    if confiscation is not None and confiscation.reason_kind == ConfiscationReason.ILLEGAL:
        withheld = [ParentNotice(channel=Channel.NONE, withheld_reason=EVIDENCE, **common)]
        return ParentNotice.objects.bulk_create(withheld)
    links = list(Guardianship.objects.filter(learner=learner).select_related("guardian"))
    told = [link.guardian for link in links if link.notices]
    if not told:
        reason = NOT_TO_BE_CONTACTED if links else NO_ONE_ON_FILE
        withheld = [ParentNotice(channel=Channel.NONE, withheld_reason=reason, **common)]
        return ParentNotice.objects.bulk_create(withheld)
    with_email = [g for g in told if g.email]
    if with_email:
        rows = [
            ParentNotice(channel=Channel.EMAIL, guardian=g, email=g.email, **common)
            for g in with_email
        ]
    else:
        # No address on file: one letter, to the first parent or carer on file.
        rows = [ParentNotice(channel=Channel.LETTER, guardian=told[0], **common)]
    notices = ParentNotice.objects.bulk_create(rows)
    ids = [n.pk for n in notices if n.channel == Channel.EMAIL]
    if ids and settings.REDIS_URL:
        transaction.on_commit(lambda: _enqueue(ids))
    return notices


def _enqueue(ids):
    from conduct.tasks import send_parent_notices

    try:
        send_parent_notices.delay(ids)
    except Exception:  # noqa: BLE001 - any broker error; the parent-notices job sends it
        log.exception("Could not enqueue parent notices %s; the next job run sends them", ids)


#: True while a breach whose step tells the parents records its own confiscation: the step's
#: notice says the phone was taken too, so the parents get one notice, not two.
told_with_breach: ContextVar[bool] = ContextVar("told_with_breach", default=False)


def on_confiscation_recorded(sender, *, confiscation, by, **kwargs):
    if told_with_breach.get():
        return
    parent_notices_send(
        learner=confiscation.learner, kind=Kind.CONFISCATED, by=by, confiscation=confiscation
    )


def on_confiscation_ready(sender, *, confiscation, by, **kwargs):
    parent_notices_send(
        learner=confiscation.learner, kind=Kind.READY, by=by, confiscation=confiscation
    )


def confiscation_notices(sender, *, confiscation, user, **kwargs):
    """The section of a confiscation's page (devices.signals.confiscation_shown) listing the
    notices sent to parents and carers about it: when, to whom, how, and whether the email
    went; with the letter to print. The page's own view has already checked that the user
    may see the confiscation."""
    notices = list(
        ParentNotice.objects.filter(confiscation=confiscation)
        .select_related("guardian")
        .order_by("created_at", "pk")
    )
    return {"template": "conduct/partials/_confiscation_notices.html", "notices": notices}


# -- What a notice says --------------------------------------------------------------------------


def notice_context(notice: ParentNotice) -> dict:
    """What the email and the letter say: the parent's name, the child's first name, the
    school, and for a breach, the day, the part of the day and the school's next step."""
    return {
        "notice": notice,
        "guardian": notice.guardian,
        "child": notice.learner.first_name,
        "school": notice.school,
        "breach": notice.breach,
        "confiscation": notice.confiscation,
    }


def _unclaimed(now):
    """Not yet emailed, not given up on, and no sender holds a live claim on it."""
    return ParentNotice.objects.filter(
        channel=Channel.EMAIL, emailed_at__isnull=True, email_attempts__lt=MAX_ATTEMPTS
    ).filter(Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lt=now))


def _email(notice: ParentNotice):
    return email_message(
        to=notice.email, template=f"parent_{notice.kind}", context=notice_context(notice)
    )


def parent_notices_deliver(ids: list[int] | None = None) -> int:
    """Email each unsent notice (of `ids`, or every one), exactly once however many senders
    run (roper.emails.deliver_once). Returns how many were sent."""
    notices = _unclaimed(timezone.now())
    if ids is not None:
        notices = notices.filter(pk__in=ids)
    notices = notices.select_related("school", "learner", "guardian", "breach", "confiscation")
    return deliver_once(notices, unclaimed=_unclaimed, message=_email)
