"""Retention of the daily phone handover log, and of the office's absence marks that go with
it: a period the school sets (default 1 year)."""

from datetime import timedelta

from django.db.models import Max, Min

from devices.models import Absence, Confiscation, CustodyEvent, DeskEntry, Handover, Search
from devices.signals import confiscations_destroying
from roper.retention import Rule, destroy_with_history, register

DEFAULT_HANDOVER_DAYS = 365


def _handovers_due(school, today):
    return Handover.objects.filter(
        school=school, school_day__lt=today - timedelta(days=DEFAULT_HANDOVER_DAYS)
    )


def destroy_handovers(queryset) -> None:
    ids = list(queryset.values_list("pk", flat=True))
    DeskEntry.objects.filter(handover_id__in=ids).delete()
    destroy_with_history(Handover.objects.filter(pk__in=ids))


def destroy_confiscations(queryset) -> None:
    """Destroy confiscations with their chain of custody, the searches that found them and
    their history (a search left behind, unlinked, would show a device's story to whoever its
    concern was concealed from)."""
    ids = list(queryset.values_list("pk", flat=True))
    confiscations_destroying.send(sender=Confiscation, ids=ids)
    destroy_with_history(Search.objects.filter(confiscation_id__in=ids))
    CustodyEvent.objects.filter(confiscation_id__in=ids).destroy_for_retention()
    destroy_with_history(Confiscation.objects.filter(pk__in=ids))


def destroy_confiscations_of_concerns(sender, ids, **kwargs) -> None:
    """When concerns are destroyed (incidents' `concerns_destroying`, connected in
    DevicesConfig.ready), so are the devices confiscated for them: left behind, unlinked, a
    device of a concern concealed from someone would appear to them the day the concern went.
    (Not connected, the concerns could not be deleted: a confiscation protects its concern.)"""
    destroy_confiscations(Confiscation.objects.filter(concern_id__in=ids))


def describe_handovers(ids) -> list[str]:
    span = Handover.objects.filter(pk__in=ids).aggregate(
        first=Min("school_day"), last=Max("school_day")
    )
    if not span["first"]:
        return []
    return [f"{len(ids)} phone handovers from {span['first']:%d/%m/%Y} to {span['last']:%d/%m/%Y}"]


register(
    Rule(
        key="handovers",
        label="Daily phone handover log",
        period=f"{DEFAULT_HANDOVER_DAYS} days",
        model=Handover,
        due=_handovers_due,
        destroy=destroy_handovers,
        describe=describe_handovers,
    )
)


def _absences_due(school, today):
    return Absence.objects.filter(
        school=school, school_day__lt=today - timedelta(days=DEFAULT_HANDOVER_DAYS)
    )


def describe_absences(ids) -> list[str]:
    span = Absence.objects.filter(pk__in=ids).aggregate(
        first=Min("school_day"), last=Max("school_day")
    )
    if not span["first"]:
        return []
    return [f"{len(ids)} absence marks from {span['first']:%d/%m/%Y} to {span['last']:%d/%m/%Y}"]


register(
    Rule(
        key="absences",
        label="Absences marked at the end of the day",
        period=f"{DEFAULT_HANDOVER_DAYS} days",
        model=Absence,
        due=_absences_due,
        destroy=destroy_with_history,
        describe=describe_absences,
    )
)
