"""Retention (the IRMS toolkit for schools): records past their retention period are listed
each month for the DSL to approve; approved records are destroyed, with their history and
files, and the batch is kept as the destruction record. A legal hold blocks destruction.

Each app states its rules in `<app>/retention.py` with `@rule(...)`: a function
(school, today) -> queryset of the records due, and one that destroys a queryset of them.

Secrecy (DESIGN.md): a rule whose records may be concealed from some people (concerns naming
an approver, allegations about a headteacher who approves) says so with `hide`. The records
due are then split, per month, into one batch per set of deciders they are concealed from
(`hidden_from`, the batch's key). The batch also records everyone its records are concealed
from, whatever their role (`concealed_from`: the staff they name, though not an approver
today, or no longer a member), when it is found and again when it is destroyed, so that it is
never listed to them, decided by them, or the reason for a reminder to them — before or after
its destruction, whatever role they are given later (`batch_visible_to`).

Who decides: the school's approvers (`retention.approve`: DSL, deputy DSL). A batch concealed
from every one of them (a lone DSL who is its subject; a headteacher-DSL and an allegation about
the headteacher) goes to the chair of governors instead, never waits unseen: the chair is the
school's route for what its leaders may not see (allegations about the headteacher, staff
cases escalated), and approving destruction needs no more than a record not concealed from
them (the batch names no one).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from roper.models import LegalHold, RetentionBatch
from roper.permissions import holders, roles_by_school, school_model
from roper.reminders import job, reminder_send
from roper.roles import Role


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    #: The retention period, in words, for the DSL.
    period: str
    model: type
    #: (school, today) -> a queryset of the records past their period.
    due: Callable
    #: (queryset) -> None: destroys the records, their history and their files.
    destroy: Callable
    #: (ids) -> lines that let the DSL recognise the records, naming no one.
    describe: Callable
    #: (queryset, user) -> the queryset without the records concealed from `user`.
    hide: Callable | None = None


RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    RULES[rule.key] = rule
    return rule


def rules() -> dict[str, Rule]:
    autodiscover_modules("retention")
    return RULES


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def rule_of(batch: RetentionBatch) -> Rule | None:
    return rules().get(batch.rule)


def _chairs(school) -> list:
    """The school's chairs of governors (its trust's included)."""
    return holders(school, roles=[Role.CHAIR])


def chaired_by(user) -> list[int]:
    """Ids of the schools the user chairs the governors of."""
    return sorted(sid for sid, roles in roles_by_school(user).items() if Role.CHAIR in roles)


def _candidates(school) -> list:
    """Everyone who may come to decide a batch of the school: its approvers, then its chairs."""
    found = {u.pk: u for u in holders(school, "retention.approve")}
    for user in _chairs(school):
        found.setdefault(user.pk, user)
    return list(found.values())


def _accounts_named(model, ids) -> set[int]:
    """Ids of the user accounts the records name, or the rows that hang from them do (a
    concern's reporter, the staff an involvement names, who wrote an entry …), whoever they
    are now: a member of the school or not, of any role."""
    User = get_user_model()
    found: set[int] = set()
    for field in model._meta.get_fields():
        if field.concrete and field.is_relation and field.related_model is User:
            found.update(model.objects.filter(pk__in=ids).values_list(field.name, flat=True))
        elif field.one_to_many and field.auto_created and not field.concrete:  # rows keyed to them
            rows = field.related_model._base_manager.filter(**{f"{field.field.name}__in": ids})
            for f in field.related_model._meta.get_fields():
                if f.concrete and f.is_relation and f.related_model is User:
                    found.update(rows.values_list(f.name, flat=True))
    found.discard(None)
    return found


def _concealed(r: Rule, ids: list[int], school) -> dict[int, set[int]]:
    """{user id: the ids of the records concealed from them}, for everyone the records may be
    concealed from: the school's members (its deciders among them, its trust's included) and
    whoever the records name. Only those from whom some record is concealed are in it."""
    people = {u.pk: u for u in holders(school)}
    named = _accounts_named(r.model, ids) - set(people)
    people.update((u.pk, u) for u in get_user_model().objects.filter(pk__in=named))
    records = r.model.objects.filter(pk__in=ids)
    concealed = {
        pk: set(ids) - set(r.hide(records, user).values_list("pk", flat=True))
        for pk, user in people.items()
    }
    return {pk: hidden for pk, hidden in concealed.items() if hidden}


def batch_visible_to(batch: RetentionBatch, user) -> bool:
    """Whether `user` may know of this batch: not concealed from them when it was found or
    destroyed, and (while its records exist) holding none concealed from them since."""
    if user.pk in batch.concealed_from:
        return False
    r = rule_of(batch)
    if r is None or r.hide is None or batch.status == RetentionBatch.Status.DESTROYED:
        return True
    records = r.model.objects.filter(pk__in=batch.object_ids)
    return r.hide(records, user).count() == records.count()


def batch_deciders(batch: RetentionBatch) -> list:
    """Who may see and decide the batch: the approvers it is not concealed from, or, when it
    is concealed from all of them, the chairs of governors it is not concealed from."""
    approvers = holders(batch.school, "retention.approve")
    seen = [u for u in approvers if batch_visible_to(batch, u)]
    return seen or [u for u in _chairs(batch.school) if batch_visible_to(batch, u)]


def may_decide(batch: RetentionBatch, user) -> bool:
    return any(u.pk == user.pk for u in batch_deciders(batch))


def _held_ids(model) -> set[int]:
    ct = ContentType.objects.get_for_model(model)
    return set(LegalHold.objects.filter(content_type=ct).values_list("object_id", flat=True))


def retention_find(*, school, today: date) -> list[RetentionBatch]:
    """Open this month's batches (once per school, rule and month)."""
    month = today.replace(day=1)
    deciders = {u.pk for u in _candidates(school)}
    found = []
    for r in rules().values():
        held = _held_ids(r.model)
        ids = sorted(set(r.due(school, today).values_list("pk", flat=True)) - held)
        if not ids:
            continue
        # One batch per set of deciders the records are concealed from; each batch keeps
        # everyone its records are concealed from.
        parts: dict[frozenset[int], list[int]] = {frozenset(): list(ids)}
        concealed_from: dict[frozenset[int], set[int]] = {frozenset(): set()}
        if r.hide is not None:
            parts, concealed_from = {}, {}
            hidden = _concealed(r, ids, school)
            for pk in ids:
                everyone = {u for u, concealed in hidden.items() if pk in concealed}
                who = frozenset(everyone & deciders)
                parts.setdefault(who, []).append(pk)
                concealed_from.setdefault(who, set()).update(everyone)
        for who, part in parts.items():
            batch, created = RetentionBatch.objects.get_or_create(
                school=school,
                rule=r.key,
                month=month,
                hidden_from=sorted(who),
                defaults={
                    "object_ids": part,
                    "count": len(part),
                    "concealed_from": sorted(concealed_from[who]),
                },
            )
            if created:
                found.append(batch)
    return found


def retention_destroy(*, batch: RetentionBatch, by) -> int:
    """Destroy an approved batch: only what is still due and not held. Returns the count."""
    r = rule_of(batch)
    with transaction.atomic():
        # Two DSLs approving the same batch at once: lock it, and destroy once.
        locked = RetentionBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != RetentionBatch.Status.PENDING:
            raise ValidationError("This batch has already been decided.")
        if not may_decide(locked, by):
            raise ValidationError("This batch cannot be decided by you.")
        still_due = r.due(locked.school, timezone.localdate()).filter(pk__in=locked.object_ids)
        ids = sorted(set(still_due.values_list("pk", flat=True)) - _held_ids(r.model))
        if r.hide is not None and ids:
            # The last moment the records say whom they are concealed from (whoever they have
            # named since the batch was found, or a batch found before this was recorded):
            # the destruction record is never shown to them.
            everyone = set(locked.concealed_from) | set(_concealed(r, ids, locked.school))
            locked.concealed_from = sorted(everyone)
        r.destroy(r.model.objects.filter(pk__in=ids))
        locked.object_ids, locked.count = ids, len(ids)
        locked.status = RetentionBatch.Status.DESTROYED
        locked.decided_by, locked.decided_by_name = by, by.get_full_name() or by.get_username()
        locked.decided_at = timezone.now()
        locked.save()
    return len(ids)


def retention_keep(*, batch: RetentionBatch, by, note: str) -> None:
    if not note.strip():
        raise ValidationError("Say why these records are kept.")
    with transaction.atomic():
        locked = RetentionBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != RetentionBatch.Status.PENDING:
            raise ValidationError("This batch has already been decided.")
        if not may_decide(locked, by):
            raise ValidationError("This batch cannot be decided by you.")
        locked.status = RetentionBatch.Status.DECLINED
        locked.decided_by, locked.decided_by_name = by, by.get_full_name() or by.get_username()
        locked.decided_at, locked.note = timezone.now(), note[:300]
        locked.save()


def legal_hold_place(*, batch: RetentionBatch, object_id: int, reason: str, by) -> LegalHold:
    """Hold one record of a pending batch: it leaves the batch and is never destroyed while
    the hold stands."""
    if not reason.strip():
        raise ValidationError("Say why the record is held.")
    r = rule_of(batch)
    with transaction.atomic():
        locked = RetentionBatch.objects.select_for_update().get(pk=batch.pk)
        if not may_decide(locked, by):
            raise ValidationError("This batch cannot be decided by you.")
        if object_id not in locked.object_ids:
            raise ValidationError("That record is not in this batch.")
        hold, _ = LegalHold.objects.get_or_create(
            content_type=ContentType.objects.get_for_model(r.model),
            object_id=object_id,
            defaults={"school": locked.school, "reason": reason[:300], "placed_by": by},
        )
        locked.object_ids = [i for i in locked.object_ids if i != object_id]
        locked.count = len(locked.object_ids)
        locked.save(update_fields=["object_ids", "count"])
    return hold


def destroy_with_history(queryset) -> None:
    """Delete rows and their django-simple-history rows (history must not outlive them)."""
    model = queryset.model
    ids = list(queryset.values_list("pk", flat=True))
    history = getattr(model, "history", None)
    queryset.delete()
    if history is not None:
        history.model.objects.filter(id__in=ids).delete()


@job("retention")
def retention_monthly(now) -> int:
    """In the first week of each month (so a missed day is caught up): find what is due in
    each school and ask its DSLs to review it, once a month."""
    today = timezone.localdate(now)
    if today.day > 7:
        return 0
    sent = 0
    for school in school_model().objects.all():
        retention_find(school=school, today=today)
        pending = list(RetentionBatch.objects.filter(school=school, status="pending"))
        # Only those who may decide a pending batch are asked (a reminder sent because of a
        # batch concealed from someone would tell them it exists).
        deciders = {u.pk: u for batch in pending for u in batch_deciders(batch)}
        recipients = list(deciders.values())
        if recipients:
            sent += reminder_send(
                key=f"retention:{school.pk}:{today:%Y-%m}",
                recipients=recipients,
                school=school,
                title="Records are due for destruction: please review them",
                url=reverse("retention"),
            )
    return sent
