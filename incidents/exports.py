"""Concerns as a spreadsheet (roper/exports.py), for those who triage them: exactly the concerns
the triage dashboard shows the user (incidents/visibility.py), so a concern concealed from them
is never in the file. Each concern exported is written to the access log as downloaded.

A school's whole history is read as rows, not models: 10,000 concerns built as models, with
their learners, reporters and owners, took a second of the file's two (bench/README.md,
twelfth pass). The few people and categories they name are read once each."""

from collections import defaultdict

from django.contrib.auth import get_user_model
from django.utils import timezone

from incidents.models import Category, Concern, Involvement
from incidents.visibility import concerns_triaged_by
from people.calendar import SchoolCalendar
from people.models import Learner
from roper.exports import csv_response
from roper.models import AccessLog
from roper.permissions import permission_required

COLUMNS = (
    "pk",
    "reported_at",
    "category_id",
    "status",
    "risk_level",
    "reporter_id",
    "owner_id",
    "deadline",
    "closed_at",
    "what_happened",
)
HEADER = [
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


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _labels(field: str) -> dict:
    """A choice field's values and what `get_<field>_display` shows for them."""
    return {value: str(label) for value, label in Concern._meta.get_field(field).flatchoices}


def _learners_by_concern(concerns) -> dict[int, str]:
    """{concern id: "Ava Jones (Oak); Ben Cole (Ash)"}: its learners in the order named."""
    named = defaultdict(list)
    rows = (
        Involvement.objects.filter(concern__in=concerns.values("pk"), learner__isnull=False)
        .order_by("pk")
        .values_list(
            "concern_id",
            *(f"learner__{column}" for column in Learner.NAME_COLUMNS),
            "learner__class_name",
        )
    )
    for concern_id, first, preferred, last, class_name in rows:
        named[concern_id].append(f"{Learner.name_of(first, preferred, last)} ({class_name})")
    return {concern_id: "; ".join(names) for concern_id, names in named.items()}


@permission_required("incidents.triage", where="active")
def concerns_csv(request):
    concerns = concerns_triaged_by(request.user).filter(school=request.school)
    rows = list(concerns.order_by("-reported_at", "-pk").values_list(*COLUMNS))
    AccessLog.record_accesses(
        user=request.user,
        model=Concern,
        records=[(row[0], request.school.pk, f"concern #{row[0]}") for row in rows],
        action=AccessLog.Action.DOWNLOAD,
    )
    learners = _learners_by_concern(concerns)
    categories = dict(
        Category.objects.filter(pk__in={row[2] for row in rows}).values_list("pk", "name")
    )
    people = {
        user.pk: user.get_full_name() or user.get_username()
        for user in get_user_model().objects.filter(
            pk__in={pk for row in rows for pk in row[5:7] if pk}
        )
    }
    statuses, risks = _labels("status"), _labels("risk_level")
    lines = (
        [
            pk,
            _when(reported),
            categories[category],
            statuses.get(status, status),
            risks.get(risk, risk),
            learners.get(pk, ""),
            people.get(reporter, ""),
            people.get(owner, ""),
            _when(deadline),
            _when(closed),
            what,
        ]
        for pk, reported, category, status, risk, reporter, owner, deadline, closed, what in rows
    )
    return csv_response(f"concerns-{SchoolCalendar.today():%Y-%m-%d}", HEADER, lines)
