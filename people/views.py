from django import forms
from django.contrib import messages
from django.db.models import Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, ListView

from people.importer import STAFF_ROLES, ImportRefused, import_header_table
from people.models import Guardianship, ImportRun, Learner, RoleRequest
from people.services import (
    APPROVES,
    import_csv_preview,
    import_progress,
    import_run_start,
    role_requests_decidable,
    role_requests_visible,
    sign_in_facts,
)
from people.services import import_run_discard as import_run_discard_
from people.services import role_request_decide as role_request_decide_
from roper.errors import Refused, refusal_redirects
from roper.paging import OneOrder
from roper.permissions import (
    PermissionMixin,
    has_perm,
    permission_required,
    require,
)
from roper.roles import Role


class LearnerListView(OneOrder, PermissionMixin, ListView):
    permission = "learners.view"
    model = Learner
    paginate_by = 50
    template_name = "people/learner_list.html"

    def get_queryset(self):
        qs = super().get_queryset().filter(active=True).select_related("school")
        query = self.request.GET.get("q", "").strip()
        if query:
            # Each word typed is part of a name ("Ava Jones" finds Ava Jones), as at the desk;
            # or the whole query is a class or a UPN.
            names = Q()
            for word in query.split():
                names &= (
                    Q(legal_first_name__icontains=word)
                    | Q(legal_last_name__icontains=word)
                    | Q(preferred_name__icontains=word)
                )
            qs = qs.filter(names | Q(class_name__iexact=query) | Q(upn__iexact=query))
        return qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(q=self.request.GET.get("q", ""), **kwargs)


class LearnerDetailView(PermissionMixin, DetailView):
    permission = "learners.view"
    model = Learner
    template_name = "people/learner_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("school")
            .prefetch_related(
                Prefetch(
                    "guardianships",
                    queryset=Guardianship.objects.select_related("guardian").order_by(
                        "-may_collect", "guardian__name"
                    ),
                )
            )
        )

    def get_context_data(self, **kwargs):
        # Those who may read a learner's chronology (the safeguarding roles) find it here.
        school = self.object.school_id
        can = has_perm(self.request.user, "learners.chronology", school)
        sar = has_perm(self.request.user, "learners.subject_access", school)
        send = has_perm(self.request.user, "transfers.send", school)
        return super().get_context_data(
            can_chronology=can, can_subject_access=sar, can_transfer=send, **kwargs
        )


@permission_required(*APPROVES)
def role_requests(request):
    """Safeguarding roles, and sign-in changes for people who hold one, that the admin asked
    for, waiting for this approver."""
    user = request.user
    visible = role_requests_visible(user)
    pending = visible.filter(status=RoleRequest.Status.PENDING).select_related(
        "user", "school", "requested_by"
    )
    decided = (
        visible.exclude(status=RoleRequest.Status.PENDING)
        .select_related("user", "school", "decided_by")
        .order_by("-decided_at")[:20]
    )
    pending = role_requests_decidable(user=user, requests=pending)
    for role_request in pending:
        if role_request.kind == RoleRequest.Kind.ROLE:
            role_request.sign_in = sign_in_facts(
                user=role_request.user, school_id=role_request.school_id
            )
    return render(
        request,
        "people/rolerequest_list.html",
        {
            "pending": pending,
            "decided": role_requests_decidable(user=user, requests=decided),
        },
    )


@require_POST
@permission_required("school.member")
@refusal_redirects(lambda request, pk: reverse("people:role_requests"))
def role_request_decide(request, pk):
    role_request = RoleRequest.objects.get_for_user(request.user, "school.member", pk=pk)
    require(request.user, role_request.approver_permission, role_request.school_id)
    decision = request.POST.get("decision")
    if decision not in {"approve", "decline"}:
        raise Refused("Choose approve or decline.")
    role_request_decide_(request=role_request, by=request.user, approve=decision == "approve")
    messages.success(
        request,
        f"{role_request.summary}: {'approved' if decision == 'approve' else 'declined'}.",
    )
    return redirect("people:role_requests")


# -- Importing learners and their contacts from the MIS (the school's admin) ---------------

IMPORT = "people.import"


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="The file holds",
        choices=ImportRun.Kind.choices,
        initial=ImportRun.Kind.LEARNERS,
        widget=forms.RadioSelect,
        required=False,
    )
    file = forms.FileField(
        label="CSV file exported from the MIS",
        help_text="SIMS, Arbor, Bromcom or Roper's own columns; UTF-8 or Windows text.",
    )
    full_roll = forms.BooleanField(
        label="This file is the whole roll: mark learners not in it as left",
        required=False,
        initial=True,
        help_text="Leavers are kept, marked inactive, never deleted.",
    )


def _run(request, pk) -> ImportRun:
    return ImportRun.objects.get_for_user(request.user, IMPORT, pk=pk)


@permission_required(IMPORT, where="active")
def import_upload(request):
    """Upload a file; see the preview of what it would change before anything changes."""
    school = request.school
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = import_csv_preview(
                school=school,
                upload=form.cleaned_data["file"],
                by=request.user,
                full_roll=form.cleaned_data["full_roll"],
                kind=form.cleaned_data["kind"] or ImportRun.Kind.LEARNERS,
            )
        except ImportRefused as exc:
            for problem in exc.problems:
                form.add_error("file", problem)
        else:
            return redirect("people:import_run", pk=run.pk)
    runs = ImportRun.objects.for_user(request.user, IMPORT, school=school).select_related(
        "created_by"
    )[:10]
    return render(
        request,
        "people/import_upload.html",
        {"form": form, "runs": runs, "aliases": import_header_table()},
    )


@permission_required(IMPORT)
def import_run(request, pk):
    run = _run(request, pk)
    done, total = import_progress(run)
    return render(
        request,
        "people/import_run.html",
        {
            "run": run,
            "plan": run.plan,
            "done": done,
            "total": total,
            "staff_roles": [(r, Role(r).label) for r in STAFF_ROLES],
        },
    )


@permission_required(IMPORT)
def import_run_progress(request, pk):
    """The progress bar the run page polls (htmx) while the run is being applied."""
    run = _run(request, pk)
    done, total = import_progress(run)
    response = render(
        request,
        "people/partials/_import_progress.html",
        {"run": run, "done": done, "total": total},
    )
    if run.status != ImportRun.Status.APPLYING:
        response["HX-Refresh"] = "true"  # finished: the page shows the outcome
    return response


@require_POST
@permission_required(IMPORT)
@refusal_redirects(lambda request, pk: reverse("people:import_run", args=[pk]))
def import_run_apply(request, pk):
    run = _run(request, pk)
    if not import_run_start(run=run, by=request.user, staff_role=request.POST.get("role", "")):
        messages.info(request, "This import was applied already. Nothing was applied twice.")
    return redirect("people:import_run", pk=run.pk)


@require_POST
@permission_required(IMPORT)
def import_run_discard(request, pk):
    run = _run(request, pk)
    import_run_discard_(run=run)
    messages.success(request, "The preview was discarded. Nothing was changed.")
    return redirect("people:import")
