"""Confiscations as a spreadsheet (roper/exports.py): every confiscation of the school the user
works in, open or ended, less those linked to a concern concealed from them."""

from django.utils import timezone

from devices.models import Confiscation
from incidents.visibility import without_concealed
from people.calendar import SchoolCalendar
from roper.exports import csv_response
from roper.permissions import permission_required


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@permission_required("devices.confiscations", where="active")
def confiscations_csv(request):
    confiscations = without_concealed(
        Confiscation.objects.for_user(request.user, "devices.confiscations", school=request.school),
        request.user,
        "concern",
    ).select_related("learner", "confiscated_by")
    rows = (
        [
            c.pk,
            _when(c.confiscated_at),
            c.learner.name,
            c.learner.get_year_group_display(),
            c.learner.class_name,
            c.device,
            c.get_reason_kind_display(),
            c.reason,
            c.confiscated_by.get_full_name() or c.confiscated_by.get_username(),
            c.held_at,
            c.get_state_display(),
        ]
        for c in confiscations.order_by("-confiscated_at", "-pk")
    )
    header = [
        "Number",
        "Confiscated",
        "Learner",
        "Year",
        "Class",
        "Device",
        "Reason",
        "What happened",
        "Confiscated by",
        "Held at",
        "State",
    ]
    return csv_response(f"confiscations-{SchoolCalendar.today():%Y-%m-%d}", header, rows)
