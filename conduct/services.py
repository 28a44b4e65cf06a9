"""The rules of breaches and the sanctions ladder that touch several rows. Refusals are
`Refused` (a message for the user) and change nothing."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from conduct.models import DEFAULT_LADDER, Breach, ParentNotice, SanctionStep
from conduct.notices import parent_notices_send, told_with_breach
from devices.services import confiscation_record
from people.calendar import SchoolCalendar
from people.models import Learner
from roper.errors import Refused
from roper.locking import locked

# -- The ladder --------------------------------------------------------------------------------


def ladder_for(school) -> list[SanctionStep]:
    """The school's ladder, lowest step first; a school that never set one has the default
    (unsaved: it is saved with the first breach, or when the head edits it)."""
    steps = list(SanctionStep.objects.filter(school=school).order_by("position"))
    return steps or [
        SanctionStep(school=school, position=p, consequence=c, involves_parents=parents)
        for p, c, parents in DEFAULT_LADDER
    ]


def ladder_seed(*, school) -> list[SanctionStep]:
    """Save the default ladder for a school that has none; return the school's ladder."""
    steps = ladder_for(school)
    if steps[0].pk is None:
        SanctionStep.objects.bulk_create(steps, ignore_conflicts=True)
        steps = list(SanctionStep.objects.filter(school=school).order_by("position"))
    return steps


def ladder_step(steps: list[SanctionStep], number: int) -> SanctionStep:
    """The step for a learner's `number`th breach: that rung, or the last one beyond it."""
    for step in steps:
        if step.position >= number:
            return step
    return steps[-1]


# -- Terms ---------------------------------------------------------------------------------------


def term_start(school, at: datetime) -> datetime:
    """The first moment of the term span holding `at` (SchoolCalendar: a term's span starts the
    day after the previous term ends; 90 days back when no term on file holds it)."""
    calendar = SchoolCalendar(school)
    day = calendar.current_term_start(SchoolCalendar.day_of(at))
    return timezone.make_aware(datetime.combine(day, time.min))


def breaches_in_term(*, learner: Learner, at: datetime) -> int:
    """How many breaches of the learner were recorded in the term of `at`, up to `at`."""
    start = term_start(learner.school, at)
    return Breach.objects.filter(learner=learner, at__gte=start, at__lte=at).count()


@dataclass(frozen=True)
class NextStep:
    number: int
    step: SanctionStep
    steps: list


def breach_next_step(*, learner: Learner, at: datetime) -> NextStep:
    """What recording a breach of `learner` at `at` would count and apply."""
    steps = ladder_for(learner.school)
    number = breaches_in_term(learner=learner, at=at) + 1
    return NextStep(number=number, step=ladder_step(steps, number), steps=steps)


# -- Recording a breach --------------------------------------------------------------------------


def breach_record(
    *,
    learner: Learner,
    by,
    kind: str,
    at: datetime,
    period: str,
    place: str,
    seen_by=None,
    lesson: str = "",
    place_detail: str = "",
    what_next: str = "",
    confiscation=None,
    confiscate: dict | None = None,
    expected_position: int | None = None,
    applied_position: int | None = None,
    override_reason: str = "",
) -> Breach:
    """Record a breach, with the ladder's step for the learner's Nth breach this term and the
    step applied (another only with a reason); link the confiscation given, or record one now
    (`confiscate`: device, held_at, reason_kind). Parents are sent a notice when the applied
    step involves them.

    `expected_position` is the step the staff member was shown: when another breach of the
    learner was recorded meanwhile, the step has moved on and they are asked to look again."""
    if at > timezone.now() + timedelta(minutes=5):
        raise Refused("A breach cannot be recorded in the future.")
    if confiscation is not None and confiscation.learner_id != learner.pk:
        raise Refused("The linked confiscation is of another learner.")
    # Two breaches of one learner recorded at once: the second waits, and counts the first.
    with locked(learner):
        steps = ladder_seed(school=learner.school)
        number = breaches_in_term(learner=learner, at=at) + 1
        step = ladder_step(steps, number)
        if expected_position is not None and expected_position != step.position:
            raise Refused(
                f"Another breach of {learner.name} was recorded meanwhile: this one is their "
                f"breach number {number} this term, and the ladder's step is now "
                f"“{step.consequence}”. Check it and record again."
            )
        applied = step
        if applied_position is not None and applied_position != step.position:
            applied = next((s for s in steps if s.position == applied_position), None)
            if applied is None:
                raise Refused("Choose a step of the school's ladder.")
            if not override_reason.strip():
                raise Refused(
                    "Give the reason for applying a different step from the ladder's: the "
                    "same breach gets the same consequence for every child, unless a reason "
                    "is recorded."
                )
        else:
            override_reason = ""
        if confiscate:
            # When the step tells the parents, its notice tells them of the phone too.
            one_notice = told_with_breach.set(applied.involves_parents)
            try:
                confiscation = confiscation_record(
                    learner=learner,
                    by=by,
                    at=at,
                    device=confiscate["device"],
                    held_at=confiscate["held_at"],
                    reason_kind=confiscate.get("reason_kind", "lesson"),
                    reason=confiscate.get("reason") or what_next or "Phone policy breach",
                )
            finally:
                told_with_breach.reset(one_notice)
        breach = Breach.objects.create(
            school_id=learner.school_id,
            learner=learner,
            kind=kind,
            at=at,
            period=period,
            lesson=lesson,
            place=place,
            place_detail=place_detail,
            seen_by=seen_by or by,
            what_next=what_next,
            confiscation=confiscation,
            recorded_by=by,
            number_in_term=number,
            ladder_position=step.position,
            ladder_consequence=step.consequence,
            applied_position=applied.position,
            consequence=applied.consequence,
            involves_parents=applied.involves_parents,
            override_reason=override_reason.strip(),
        )
        if breach.involves_parents:
            parent_notices_send(
                learner=learner,
                kind=ParentNotice.Kind.BREACH,
                by=by,
                breach=breach,
                confiscation=confiscation if confiscate else None,
            )
    return breach


# -- The ladder, edited by the head or leadership ------------------------------------------------


def ladder_save(*, school, steps: list[tuple[str, bool]], by) -> list[SanctionStep]:
    """Replace the school's ladder with `steps` ((consequence, parents are told), lowest
    first), numbered 1, 2, 3 …. Breaches keep the step they were given (its text is copied
    onto them), so a change applies from the next breach. Two people saving at once: the
    school's row is the lock, the second's ladder replaces the first's whole."""
    steps = [(c.strip(), parents) for c, parents in steps if c.strip()]
    if not steps:
        raise Refused("The ladder needs at least one step.")
    with transaction.atomic():
        type(school).objects.select_for_update(no_key=True).filter(pk=school.pk).get()
        for old in SanctionStep.objects.filter(school=school):
            old.delete()  # one by one, so the history keeps each
        saved = []
        for position, (consequence, parents) in enumerate(steps, start=1):
            step = SanctionStep(
                school=school,
                position=position,
                consequence=consequence,
                involves_parents=parents,
            )
            step._history_user = by
            step.save()
            saved.append(step)
    return saved


# -- Consistency (for the evidence pack) ---------------------------------------------------------


@dataclass(frozen=True)
class Consistency:
    total: int
    on_ladder: int
    overridden: int
    #: (breach number in term → (on ladder, overridden)), lowest first.
    by_number: list


def ladder_consistency(*, school, start=None, end=None, term=None) -> Consistency:
    """How many of the school's breaches between `start` and `end` (dates, inclusive; or in
    `term`'s span) got the ladder's step, and how many another step with a reason; per breach
    number in the term. Two queries at most, whatever the number of breaches."""
    if term is not None:
        start, end = SchoolCalendar(school).span_start(term), term.ends_on
    from django.db.models import Count, F, Q

    rows = (
        Breach.objects.filter(school=school, at__date__gte=start, at__date__lte=end)
        .values("number_in_term")
        .annotate(
            on=Count("pk", filter=Q(applied_position=F("ladder_position"))),
            off=Count("pk", filter=~Q(applied_position=F("ladder_position"))),
        )
        .order_by("number_in_term")
    )
    by_number = [(r["number_in_term"], r["on"], r["off"]) for r in rows]
    on = sum(r[1] for r in by_number)
    off = sum(r[2] for r in by_number)
    return Consistency(total=on + off, on_ladder=on, overridden=off, by_number=by_number)
