from django.contrib import messages
from django.db.models import Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, ListView

from people.models import Guardianship, Learner, RoleRequest
from people.services import APPROVES, role_requests_decidable, role_requests_visible
from people.services import role_request_decide as role_request_decide_
from roper.errors import Refused, refusal_redirects
from roper.permissions import PermissionMixin, has_perm, permission_required, require


class LearnerListView(PermissionMixin, ListView):
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
    return render(
        request,
        "people/rolerequest_list.html",
        {
            "pending": role_requests_decidable(user=user, requests=pending),
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
