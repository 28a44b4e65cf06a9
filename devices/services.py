"""The desk and custody rules that touch several rows. Every action is refused with a
`DeskError` (a message for the user) and then changes nothing."""

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from devices import desk
from devices.models import (
    Confiscation,
    CustodyEvent,
    CustodyState,
    DayReconciliation,
    DeskEntry,
    DeskError,
    Handover,
    LearnerExemption,
    NotYoursError,
)
from incidents.visibility import is_concealed
from people.models import Guardian, Guardianship, Learner

#: How long a desk entry may be undone.
UNDO_WINDOW = timedelta(minutes=5)


def school_day(at=None) -> date:
    """The school day (Europe/London) of an instant: not the UTC date."""
    return timezone.localdate(at)


def _needs_reason(school_id: int, day: date, reason: str) -> None:
    if (
        not reason.strip()
        and DayReconciliation.objects.filter(school_id=school_id, school_day=day).exists()
    ):
        raise DeskError(f"{day:%d/%m/%Y} has been reconciled: give a reason for this change.")


def _lock_learner(learner: Learner) -> Learner:
    # Two desks acting on the same learner at once: the second waits here, then sees the first.
    return Learner.objects.select_for_update().get(pk=learner.pk)


def handover_check_in(*, learner: Learner, by, tag: str = "", reason: str = "") -> Handover:
    now = timezone.now()
    day = school_day(now)
    try:
        with transaction.atomic():
            _lock_learner(learner)
            existing = Handover.objects.filter(
                learner=learner, school_day=day, undone_at__isnull=True
            ).first()
            if existing:
                raise DeskError(
                    f"{learner.name}'s phone was already checked in at "
                    f"{timezone.localtime(existing.in_at):%H:%M}."
                )
            _needs_reason(learner.school_id, day, reason)
            if not tag:
                tag = desk.carried_tag(learner)  # a pouch number carries over
            handover = Handover.objects.create(
                school_id=learner.school_id,
                learner=learner,
                school_day=day,
                tag=tag,
                in_at=now,
                received_by=by,
            )
            DeskEntry.objects.create(
                school_id=learner.school_id,
                handover=handover,
                kind=DeskEntry.Kind.IN,
                at=now,
                by=by,
                reason=reason,
            )
    except IntegrityError:
        # Without row locks (SQLite) the unique constraint is the last line of defence.
        raise DeskError(f"{learner.name}'s phone was already checked in.") from None
    return handover


def handover_check_out(
    *, learner: Learner, by, guardian: Guardian | None = None, reason: str = ""
) -> Handover:
    now = timezone.now()
    day = school_day(now)
    with transaction.atomic():
        # Two desks checking the same phone out at once: the second sees it already out.
        handover = (
            Handover.objects.select_for_update()
            .filter(learner=learner, school_day=day, undone_at__isnull=True)
            .first()
        )
        if handover is None:
            raise DeskError(f"{learner.name}'s phone was not checked in today.")
        if handover.out_at is not None:
            raise DeskError(
                f"{learner.name}'s phone was already checked out at "
                f"{timezone.localtime(handover.out_at):%H:%M}."
            )
        if (
            guardian is not None
            and not Guardianship.objects.filter(
                learner=learner, guardian=guardian, may_collect=True
            ).exists()
        ):
            raise DeskError(f"{guardian.name} is not on file as allowed to collect.")
        _needs_reason(learner.school_id, day, reason)
        handover.out_at = now
        handover.handed_back_by = by
        handover.collected_by = guardian
        handover.collected_by_learner = guardian is None
        handover.save()
        DeskEntry.objects.create(
            school_id=learner.school_id,
            handover=handover,
            kind=DeskEntry.Kind.OUT,
            at=now,
            by=by,
            reason=reason,
        )
    return handover


def handover_undo(*, entry: DeskEntry, by, reason: str = "") -> DeskEntry:
    """Undo a mistaken check-in or check-out within a few minutes. The undo is recorded."""
    now = timezone.now()
    with transaction.atomic():
        # Two clicks on "undo" at once: only one undoes.
        entry = DeskEntry.objects.select_for_update().select_related("handover").get(pk=entry.pk)
        handover = Handover.objects.select_for_update().get(pk=entry.handover_id)
        if entry.kind not in (DeskEntry.Kind.IN, DeskEntry.Kind.OUT) or entry.undone:
            raise DeskError("This entry cannot be undone.")
        if now - entry.at > UNDO_WINDOW:
            raise DeskError("Too late to undo: entries can be undone for 5 minutes.")
        _needs_reason(handover.school_id, handover.school_day, reason)
        if entry.kind == DeskEntry.Kind.IN:
            if handover.out_at is not None:
                raise DeskError("Undo the check-out first.")
            handover.undone_at, handover.undone_by = now, by
            kind = DeskEntry.Kind.UNDO_IN
        else:
            if handover.undone_at is not None or handover.out_at is None:
                raise DeskError("This entry cannot be undone.")
            handover.out_at = handover.handed_back_by = handover.collected_by = None
            handover.collected_by_learner = False
            kind = DeskEntry.Kind.UNDO_OUT
        handover.save()
        DeskEntry.objects.filter(pk=entry.pk).update(undone=True)
        return DeskEntry.objects.create(
            school_id=handover.school_id, handover=handover, kind=kind, at=now, by=by, reason=reason
        )


def class_learners(*, school, class_name: str):
    return Learner.objects.filter(school=school, class_name__iexact=class_name, active=True)


def class_check_in(*, school, class_name: str, by) -> tuple[int, int]:
    """Check in every learner of a class who is not already in and not exempt.
    Returns (checked in, skipped)."""
    day = school_day()
    learners = list(class_learners(school=school, class_name=class_name))
    exempt = set(
        LearnerExemption.objects.filter(
            LearnerExemption.active_q(day), learner__in=learners
        ).values_list("learner_id", flat=True)
    )
    done = skipped = 0
    for learner in learners:
        if learner.pk in exempt:
            skipped += 1
            continue
        try:
            handover_check_in(learner=learner, by=by)
            done += 1
        except DeskError:
            skipped += 1
    return done, skipped


def class_check_out(*, school, class_name: str, by) -> tuple[int, int]:
    """Check out (to the learner) every phone of the class still held today."""
    day = school_day()
    learners = list(
        class_learners(school=school, class_name=class_name).filter(
            handovers__school_day=day,
            handovers__undone_at__isnull=True,
            handovers__out_at__isnull=True,
        )
    )
    done = skipped = 0
    for learner in learners:
        try:
            handover_check_out(learner=learner, by=by)
            done += 1
        except DeskError:
            skipped += 1
    return done, skipped


def day_reconcile(*, school, day: date, by, note: str = "") -> DayReconciliation:
    reconciliation, created = DayReconciliation.objects.get_or_create(
        school=school, school_day=day, defaults={"reconciled_by": by, "note": note}
    )
    if not created:
        raise DeskError(f"{day:%d/%m/%Y} was already reconciled.")
    return reconciliation


def handover_explain(*, handover: Handover, by, note: str, reason: str = "") -> Handover:
    """Say why a phone is still held at the end of the day."""
    with transaction.atomic():
        handover = Handover.objects.select_for_update().get(pk=handover.pk)
        _needs_reason(handover.school_id, handover.school_day, reason)
        handover.held_note = note.strip()
        handover.save(update_fields=["held_note"])
    return handover


# --------------------------------------------------------------------------------------------
# Confiscations


def confiscation_record(
    *,
    learner: Learner,
    device: str,
    reason: str,
    by,
    held_at: str,
    at=None,
    concern=None,
    reason_kind: str = "other",
) -> Confiscation:
    at = at or timezone.now()
    with transaction.atomic():
        confiscation = Confiscation.objects.create(
            school_id=learner.school_id,
            learner=learner,
            device=device,
            reason=reason,
            reason_kind=reason_kind,
            confiscated_by=by,
            confiscated_at=at,
            held_at=held_at,
            concern=concern,
        )
        CustodyEvent.objects.create(
            confiscation=confiscation,
            sequence=1,
            state=CustodyState.CONFISCATED,
            at=at,
            by=by,
            location=held_at,
        )
    return confiscation


def confiscation_move(
    *,
    confiscation: Confiscation,
    to_state: str,
    by,
    can_override: bool = False,
    location: str = "",
    note: str = "",
    guardian: Guardian | None = None,
    guardian_name: str = "",
    relationship: str = "",
    id_checked: bool = False,
    override_reason: str = "",
    officer: str = "",
    force: str = "",
    reference: str = "",
    seal_number: str = "",
) -> CustodyEvent:
    """Append the next custody event. `can_override` is whether `by` may release to someone
    not on file (the headteacher); the view decides it from the permission table. Nobody
    moves a device linked to a concern concealed from them (it may be the evidence against
    them): they are told only to ask the DSL."""
    with transaction.atomic():
        # Two people moving the same device at once: the second sees the first's move.
        confiscation = Confiscation.objects.select_for_update().get(pk=confiscation.pk)
        if is_concealed(by, confiscation.concern_id):
            raise NotYoursError
        confiscation.check_move(to_state)
        event = CustodyEvent(
            confiscation=confiscation,
            sequence=confiscation.events.count() + 1,
            state=to_state,
            by=by,
            location=location,
            note=note,
        )
        if to_state == CustodyState.SECURED:
            if not location.strip():
                raise DeskError("Say where the device is stored.")
            confiscation.held_at = location
        elif to_state == CustodyState.RELEASED:
            _release(
                confiscation, event, guardian, guardian_name, relationship, id_checked,
                override_reason, can_override, by,
            )  # fmt: skip
        elif to_state == CustodyState.POLICE:
            if not all(v.strip() for v in (officer, force, reference, seal_number)):
                raise DeskError("Record the officer, force, police reference and seal number.")
            event.officer, event.force = officer, force
            event.reference, event.seal_number = reference, seal_number
            confiscation.held_at = f"Police: {force}, ref. {reference}"
        event.save()
        confiscation.state = to_state
        confiscation.save()
    return event


def _release(
    confiscation, event, guardian, guardian_name, relationship, id_checked, override_reason,
    can_override, by,
):  # fmt: skip
    if not id_checked:
        raise DeskError("Check the identity of the person collecting before release.")
    event.checked_by, event.id_checked = by, True
    if guardian is not None:
        link = (
            Guardianship.objects.filter(learner_id=confiscation.learner_id, guardian=guardian)
            .select_related("guardian")
            .first()
        )
        if link is None or not link.may_collect:
            raise DeskError(f"{guardian.name} is not on file as allowed to collect.")
        event.guardian = guardian
        event.guardian_name = guardian.name
        event.relationship = link.relationship
        return
    if not (guardian_name.strip() and relationship.strip()):
        raise DeskError("Choose a parent or carer on file, or name the person collecting.")
    if not can_override:
        raise DeskError(
            "Devices are released only to a parent or carer on file who may collect; "
            "only the headteacher may override this."
        )
    if not override_reason.strip():
        raise DeskError("Give the reason for releasing to someone not on file.")
    event.guardian_name, event.relationship = guardian_name, relationship
    event.override_reason = override_reason
