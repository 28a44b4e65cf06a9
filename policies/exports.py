"""Acknowledgements and training as spreadsheets (roper/exports.py), for those who may see
staff members' names on those pages."""

from django.http import Http404
from django.utils import timezone

from people.calendar import SchoolCalendar
from policies import services
from policies.models import Policy, PolicyVersion
from roper.exports import csv_response
from roper.permissions import permission_required, require


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


@permission_required("policies.acknowledgements", where="active")
def acknowledgements_csv(request, slug, number):
    policy = Policy.objects.get_for_user(
        request.user, "policies.view", school=request.school, slug=slug
    )
    require(request.user, "policies.acknowledgements", policy.school_id)
    try:
        version = policy.versions.get(number=number)
    except PolicyVersion.DoesNotExist:
        raise Http404 from None
    if version.is_draft:
        raise Http404
    summary = services.acknowledgement_summary(version=version)
    rows = [
        *(
            [_name(u), "Yes", timezone.localtime(a.at).strftime("%Y-%m-%d %H:%M")]
            for u, a in summary.acknowledged
        ),
        *([_name(u), "No", ""] for u in summary.outstanding),
    ]
    return csv_response(
        f"acknowledgements-{policy.slug}-v{version.number}",
        ["Staff member", "Acknowledged", "When"],
        rows,
    )


@permission_required("policies.training", where="active")
def training_csv(request):
    today = SchoolCalendar.today()
    rows = (
        [
            _name(r.user),
            len(r.sessions),
            r.last_on or "never",
            r.due_on or "now",
            "Yes" if r.is_overdue(today) else "No",
        ]
        for r in services.training_records(school=request.school, today=today)
    )
    return csv_response(
        f"training-{today:%Y-%m-%d}",
        ["Staff member", "Sessions", "Last trained", "Refresher due", "Overdue"],
        rows,
    )
