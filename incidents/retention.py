"""Retention of concerns (IRMS toolkit): child-protection records until the learner's date of
birth + 25 years; allegations about staff for 10 years after closure (the DSL checks the
person's normal retirement age, which Roper does not hold, before approving)."""

from django.db.models import Max, Q

from incidents.models import Concern, Entry, Evidence, Involvement
from incidents.signals import concerns_destroying
from incidents.visibility import without_concealed
from policies.models import ReviewTrigger
from roper.retention import Rule, destroy_with_history, register, years_before


def _learner_records_due(school, today):
    cutoff = years_before(today, 25)
    return (
        # A withdrawn concern (a duplicate, or in error) is kept as long as a closed one.
        Concern.objects.filter(school=school, is_staff_case=False, status__in=Concern.ENDED)
        .annotate(youngest=Max("involvements__learner__date_of_birth"))
        .filter(
            Q(youngest__lte=cutoff)
            # No learner named (a visitor's breach): 25 years from the report.
            | Q(youngest__isnull=True, reported_at__date__lte=cutoff)
        )
    )


def _staff_allegations_due(school, today):
    cutoff = years_before(today, 10)
    return Concern.objects.filter(
        Q(status=Concern.Status.CLOSED, closed_at__date__lte=cutoff)
        | Q(status=Concern.Status.WITHDRAWN, withdrawn_at__date__lte=cutoff),
        school=school,
        is_staff_case=True,
    ).exclude(finding=Concern.Finding.MALICIOUS)


def _malicious_allegations_due(school, today):
    return Concern.objects.filter(
        school=school,
        is_staff_case=True,
        status=Concern.Status.CLOSED,
        finding=Concern.Finding.MALICIOUS,
    )


def destroy_concerns(queryset) -> None:
    """Destroy concerns with everything that belongs to them, the devices confiscated for
    them (by devices, on `concerns_destroying`) and the policy review triggers their lessons
    learnt opened included (a trigger outliving its concern would no longer be concealed
    from anyone)."""
    ids = list(queryset.values_list("pk", flat=True))
    concerns_destroying.send(sender=Concern, ids=ids)
    destroy_with_history(ReviewTrigger.objects.filter(concern_number__in=ids))
    for evidence in Evidence.objects.filter(concern_id__in=ids):
        evidence.file.delete(save=False)
    destroy_with_history(Entry.objects.filter(concern_id__in=ids))
    destroy_with_history(Involvement.objects.filter(concern_id__in=ids))
    Evidence.objects.filter(concern_id__in=ids).delete()
    destroy_with_history(Concern.objects.filter(pk__in=ids))


def describe_concerns(ids) -> list[str]:
    return [
        f"Concern #{c.pk}: {c.category.name}, reported {c.reported_at:%d/%m/%Y}"
        + (f", closed {c.closed_at:%d/%m/%Y}" if c.closed_at else "")
        for c in Concern.objects.filter(pk__in=ids).select_related("category").order_by("pk")
    ]


register(
    Rule(
        key="child-protection",
        label="Child-protection records (concerns about learners and visitors)",
        period="the youngest learner's date of birth + 25 years",
        model=Concern,
        due=_learner_records_due,
        destroy=destroy_concerns,
        describe=describe_concerns,
        hide=without_concealed,
    )
)
register(
    Rule(
        key="staff-allegations",
        label="Allegations about staff",
        period="10 years after closure, or the person's normal retirement age if later: "
        "check it before approving",
        model=Concern,
        due=_staff_allegations_due,
        destroy=destroy_concerns,
        describe=describe_concerns,
        hide=without_concealed,
    )
)
register(
    Rule(
        key="malicious-allegations",
        label="Allegations about staff found to be malicious",
        period="removed once closed (KCSIE: malicious allegations are removed from records)",
        model=Concern,
        due=_malicious_allegations_due,
        destroy=destroy_concerns,
        describe=describe_concerns,
        hide=without_concealed,
    )
)
