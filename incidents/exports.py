"""Concerns as a spreadsheet (roper/exports.py), for those who triage them: exactly the concerns
the triage dashboard shows the user (incidents/visibility.py), so a concern concealed from them
is never in the file. Each concern exported is written to the access log as downloaded."""

from django.db.models import Prefetch
from django.utils import timezone

from incidents.models import Involvement
from incidents.visibility import concerns_triaged_by
from people.calendar import SchoolCalendar
from roper.exports import csv_response
from roper.models import AccessLog
from roper.permissions import permission_required


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


@permission_required("incidents.triage", where="active")
def concerns_csv(request):
    concerns = list(
        concerns_triaged_by(request.user)
        .filter(school=request.school)
        .select_related("category", "owner", "reporter")
        .prefetch_related(
            Prefetch(
                "involvements",
                queryset=Involvement.objects.filter(learner__isnull=False).select_related(
                    "learner"
                ),
                to_attr="learner_rows",
            )
        )
        .order_by("-reported_at", "-pk")
    )
    AccessLog.record_accesses(
        user=request.user,
        records=[(c, c.school_id, f"concern #{c.pk}") for c in concerns],
        action=AccessLog.Action.DOWNLOAD,
    )
    rows = (
        [
            c.pk,
            _when(c.reported_at),
            c.category.name,
            c.get_status_display(),
            c.get_risk_level_display(),
            "; ".join(f"{i.learner.name} ({i.learner.class_name})" for i in c.learner_rows),
            _name(c.reporter),
            _name(c.owner),
            _when(c.deadline),
            _when(c.closed_at),
            c.what_happened,
        ]
        for c in concerns
    )
    header = [
        "Number",
        "Reported",
        "Category",
        "Status",
        "Risk",
        "Learners",
        "Reported by",
        "Owner",
        "Triage by",
        "Closed",
        "What happened",
    ]
    return csv_response(f"concerns-{SchoolCalendar.today():%Y-%m-%d}", header, rows)
