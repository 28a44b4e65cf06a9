from functools import cached_property

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, DetailView, FormView, ListView, UpdateView

from people.calendar import SchoolCalendar
from policies import services
from policies.concerns import concern_links, without_concealed
from policies.diffing import changes
from policies.forms import (
    PolicyCreateForm,
    PolicyForm,
    PolicySendingForm,
    PolicyVersionForm,
    RatifyForm,
    ReviewTriggerForm,
    TrainingSessionForm,
    TrainingSettingsForm,
)
from policies.models import (
    Policy,
    PolicySending,
    PolicyVersion,
    ReviewTrigger,
    TrainingSession,
    TrainingSettings,
)
from policies.rendering import render_markdown
from roper.errors import RefusalFormMixin, Refused, refusal_redirects
from roper.paging import OneOrder
from roper.pdf import pdf_response
from roper.permissions import (
    PermissionMixin,
    has_perm,
    permission_required,
    require,
)


def _policy(request, slug, permission="policies.view") -> Policy:
    """A policy of the school the user is working in (slugs are unique per school)."""
    return Policy.objects.select_related("school").get_for_user(
        request.user, permission, school=request.school, slug=slug
    )


def _version(policy, number, user) -> PolicyVersion:
    try:
        version = policy.versions.get(number=number)
    except PolicyVersion.DoesNotExist:
        raise Http404 from None
    if version.is_draft:
        require(user, "policies.manage", policy.school_id)
    return version


class PolicyListView(PermissionMixin, ListView):
    permission = "policies.view"
    where = "active"
    model = Policy
    template_name = "policies/policy_list.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("dsl", "osl", "governor")
            .in_review_order(SchoolCalendar.today())
        )

    def get_context_data(self, **kwargs):
        school = self.request.school
        return super().get_context_data(
            today=SchoolCalendar.today(),
            can_manage=has_perm(self.request.user, "policies.manage", school),
            **kwargs,
        )


class PolicyDetailView(PermissionMixin, DetailView):
    permission = "policies.view"
    where = "active"
    model = Policy
    template_name = "policies/policy_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("dsl", "deputy_dsl", "osl", "governor", "ratification_recorded_by")
            .prefetch_related(
                Prefetch("versions", queryset=PolicyVersion.objects.order_by("-number")),
                "linked",
                # A trigger opened from a concern concealed from the viewer is not theirs to
                # know of (DESIGN.md, "Secrecy is one rule").
                Prefetch(
                    "triggers",
                    queryset=without_concealed(
                        ReviewTrigger.objects.select_related("opened_by"),
                        self.request.user,
                        concern="concern_number",
                    ),
                ),
            )
        )

    def get_context_data(self, **kwargs):
        policy, user = self.object, self.request.user
        triggers = list(policy.triggers.all())
        links = concern_links(user, (t.concern_number for t in triggers))
        for t in triggers:
            t.concern_url = links.get(t.concern_number)
        versions = list(policy.versions.all())
        ratified = [v for v in versions if not v.is_draft]
        current = ratified[0] if ratified else None
        draft = next((v for v in versions if v.is_draft), None)
        summary = services.acknowledgement_summary(version=current) if current else None
        can_manage = has_perm(user, "policies.manage", policy.school_id)
        is_staff = summary is not None and any(
            u.pk == user.pk for u in summary.outstanding + [u for u, _ in summary.acknowledged]
        )
        return super().get_context_data(
            body_html=render_markdown(policy.body),
            current=current,
            draft=draft if can_manage else None,
            versions=ratified,
            summary=summary,
            can_manage=can_manage,
            can_see_names=has_perm(user, "policies.acknowledgements", policy.school_id),
            must_acknowledge=is_staff
            and policy.requires_acknowledgement
            and any(u.pk == user.pk for u in summary.outstanding),
            acknowledged=summary
            and next((a for u, a in summary.acknowledged if u.pk == user.pk), None),
            overdue=policy.is_overdue(),
            open_triggers=[t for t in triggers if t.is_open],
            closed_triggers=[t for t in triggers if not t.is_open],
            **self._families(policy, user),
            **kwargs,
        )

    def _families(self, policy, user) -> dict:
        """The public page (its link, when published) and the sendings to families."""
        may_record = has_perm(user, "policies.families", policy.school_id)
        public_url = self.request.build_absolute_uri(
            reverse("public:policy", args=[policy.school.urn, policy.slug])
        )
        return {
            "public_url": public_url if policy.published_for_families else "",
            "may_record_sending": may_record,
            "sendings": list(
                PolicySending.objects.filter(policy=policy).select_related("sent_by", "version")[
                    :10
                ]
            ),
        }


class PolicyCreateView(PermissionMixin, RefusalFormMixin, CreateView):
    permission = "policies.manage"
    where = "active"
    model = Policy
    form_class = PolicyCreateForm
    template_name = "policies/policy_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "school": self.request.school}

    def form_valid(self, form):
        self.object = services.policy_create(
            school=self.request.school, by=self.request.user, **form.cleaned_data
        )
        messages.success(self.request, f"{self.object.title} added.")
        return redirect(self.object)


class PolicyUpdateView(PermissionMixin, UpdateView):
    permission = "policies.manage"
    where = "active"
    model = Policy
    form_class = PolicyForm
    template_name = "policies/policy_form.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        if "ratified_on" in form.changed_data:
            services.listed_policy_reviewed(policy=self.object, by=self.request.user)
        messages.success(self.request, "Saved.")
        return response


@permission_required("policies.view", where="active")
def version_detail(request, slug, number):
    policy = _policy(request, slug)
    version = _version(policy, number, request.user)
    summary = None if version.is_draft else services.acknowledgement_summary(version=version)
    return render(
        request,
        "policies/policyversion_detail.html",
        {
            "policy": policy,
            "version": version,
            "body_html": render_markdown(version.body),
            "summary": summary,
            "is_current": policy.current_version == version,
        },
    )


@permission_required("policies.view", where="active")
def version_diff(request, slug):
    """Differences between two versions: ?from=N&to=M (default: the previous and latest)."""
    policy = _policy(request, slug)
    numbers = list(policy.versions.order_by("number").values_list("number", flat=True))
    if not has_perm(request.user, "policies.manage", policy.school_id):
        numbers = list(
            policy.versions.ratified().order_by("number").values_list("number", flat=True)
        )
    try:
        new_n = int(request.GET.get("to") or numbers[-1])
        old_n = int(request.GET.get("from") or (numbers[-2] if len(numbers) > 1 else new_n))
    except (ValueError, IndexError):
        raise Http404 from None
    old, new = _version(policy, old_n, request.user), _version(policy, new_n, request.user)
    return render(
        request,
        "policies/policyversion_diff.html",
        {
            "policy": policy,
            "old": old,
            "new": new,
            "numbers": numbers,
            "changes": changes(old.body, new.body),
        },
    )


@require_POST
@permission_required("policies.manage", where="active")
@refusal_redirects(lambda request, slug: reverse("policies:detail", args=[slug]))
def review_start(request, slug):
    policy = _policy(request, slug, "policies.manage")
    services.policy_review_start(policy=policy, by=request.user)
    messages.success(request, "Review started: edit the draft, then record its ratification.")
    return redirect("policies:draft", slug=policy.slug)


@require_POST
@permission_required("policies.manage", where="active")
def archive(request, slug):
    policy = _policy(request, slug, "policies.manage")
    services.policy_archive(policy=policy)
    messages.success(request, f"{policy.title} archived: it no longer asks for reviews.")
    return redirect(policy)


class DraftUpdateView(PermissionMixin, UpdateView):
    permission = "policies.manage"
    where = "active"
    form_class = PolicyVersionForm
    template_name = "policies/policyversion_form.html"

    def get_object(self, queryset=None):
        self.policy = _policy(self.request, self.kwargs["slug"], "policies.manage")
        draft = self.policy.draft_version
        if draft is None:
            raise Http404("No review in progress.")
        return draft

    def get_context_data(self, **kwargs):
        return super().get_context_data(policy=self.policy, **kwargs)

    def form_valid(self, form):
        form.save()
        messages.success(self.request, "Draft saved.")
        return redirect(self.policy)


class RatifyView(PermissionMixin, RefusalFormMixin, FormView):
    permission = "policies.manage"
    where = "active"
    form_class = RatifyForm
    template_name = "policies/policy_ratify.html"

    @cached_property
    def policy(self) -> Policy:
        return _policy(self.request, self.kwargs["slug"], "policies.manage")

    @cached_property
    def draft(self):
        return self.policy.draft_version

    def _no_draft(self):
        messages.error(self.request, "There is no draft to ratify: start a review first.")
        return redirect(self.policy)

    def get(self, request, *args, **kwargs):
        return self._no_draft() if self.draft is None else super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self._no_draft() if self.draft is None else super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(policy=self.policy, draft=self.draft, **kwargs)

    def form_valid(self, form):
        version = services.policy_ratify(
            policy=self.policy, by=self.request.user, **form.cleaned_data
        )
        messages.success(self.request, f"Version {version.number} ratified.")
        return redirect(self.policy)


class TriggerCreateView(PermissionMixin, FormView):
    permission = "policies.manage"
    where = "active"
    form_class = ReviewTriggerForm
    template_name = "policies/reviewtrigger_form.html"

    @cached_property
    def policy(self) -> Policy:
        return _policy(self.request, self.kwargs["slug"], "policies.manage")

    def get_context_data(self, **kwargs):
        return super().get_context_data(policy=self.policy, **kwargs)

    def form_valid(self, form):
        services.review_trigger_open(policy=self.policy, by=self.request.user, **form.cleaned_data)
        messages.success(self.request, "Review trigger recorded: the policy is under review.")
        return redirect(self.policy)


@require_POST
@permission_required("policies.acknowledge", where="active")
def acknowledge(request, slug):
    policy = _policy(request, slug, "policies.acknowledge")
    current = policy.current_version
    if current is None:
        raise Http404
    try:
        services.acknowledgement_record(version=current, user=request.user)
    except Refused as refusal:
        # Not theirs to acknowledge (not staff of the school): a refusal of access.
        raise PermissionDenied(str(refusal)) from None
    messages.success(request, f"Thank you: you have acknowledged version {current.number}.")
    return redirect(policy)


@permission_required("policies.view", where="active")
def acknowledgements(request, slug, number):
    """Who has and has not acknowledged a version. Governors (and anyone without
    `policies.acknowledgements`) see the percentage only."""
    policy = _policy(request, slug)
    version = _version(policy, number, request.user)
    if version.is_draft:
        raise Http404
    return render(
        request,
        "policies/acknowledgement_list.html",
        {
            "policy": policy,
            "version": version,
            "summary": services.acknowledgement_summary(version=version),
            "can_see_names": has_perm(request.user, "policies.acknowledgements", policy.school_id),
        },
    )


@permission_required("policies.view", where="active")
def policy_file(request, slug):
    policy = _policy(request, slug)
    if not policy.file:
        raise Http404
    return FileResponse(
        policy.file.open("rb"), as_attachment=True, filename=policy.file.name.rsplit("/", 1)[-1]
    )


@permission_required("policies.view", where="active")
def policy_pdf(request, slug):
    policy = _policy(request, slug)
    return pdf_response(
        request,
        template="policies/policy_print.html",
        context={
            "policy": policy,
            "body_html": render_markdown(policy.body),
            "current": policy.current_version,
        },
        filename=policy.slug,
    )


# -- training -------------------------------------------------------------------------


class TrainingListView(OneOrder, PermissionMixin, ListView):
    permission = "policies.training"
    where = "active"
    model = TrainingSession
    template_name = "policies/training_list.html"
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().prefetch_related("attendances")

    def get_context_data(self, **kwargs):
        today = SchoolCalendar.today()
        records = services.training_records(school=self.request.school, today=today)
        return super().get_context_data(
            records=records,
            overdue=[r for r in records if r.is_overdue(today)],
            today=today,
            settings=TrainingSettings.for_school(self.request.school),
            can_manage=has_perm(self.request.user, "policies.manage", self.request.school),
            **kwargs,
        )


class TrainingSessionCreateView(PermissionMixin, CreateView):
    permission = "policies.training"
    where = "active"
    model = TrainingSession
    form_class = TrainingSessionForm
    template_name = "policies/trainingsession_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "school": self.request.school}

    def get_success_url(self):
        messages.success(self.request, "Training session recorded.")
        return reverse("policies:training")


class TrainingSessionUpdateView(PermissionMixin, UpdateView):
    permission = "policies.training"
    where = "active"
    model = TrainingSession
    form_class = TrainingSessionForm
    template_name = "policies/trainingsession_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "school": self.object.school}

    def get_success_url(self):
        messages.success(self.request, "Attendance saved.")
        return reverse("policies:training")


@permission_required("policies.acknowledge", where="active")
def training_mine(request):
    """A staff member's own training record."""
    today = SchoolCalendar.today()
    record = next(
        (
            r
            for r in services.training_records(school=request.school, today=today)
            if r.user.pk == request.user.pk
        ),
        None,
    )
    return render(request, "policies/training_mine.html", {"record": record, "today": today})


class TrainingSettingsView(PermissionMixin, UpdateView):
    permission = "policies.manage"
    where = "active"
    form_class = TrainingSettingsForm
    template_name = "policies/trainingsettings_form.html"

    def get_object(self, queryset=None):
        return TrainingSettings.for_school(self.request.school)

    def get_success_url(self):
        messages.success(self.request, "Training settings saved.")
        return reverse("policies:training")


# -- families: the published policy and its sending each school year ------------------------


@require_POST
@permission_required("policies.manage", where="active")
@refusal_redirects("policies:detail")
def publish(request, slug):
    policy = _policy(request, slug, "policies.manage")
    published = request.POST.get("published") == "1"
    services.policy_publish(policy=policy, published=published)
    if published:
        messages.success(request, "Published: parents and pupils can read it at its public link.")
    else:
        messages.success(request, "No longer published: its public link now says “not found”.")
    return redirect(policy)


@permission_required("policies.families", where="active")
def sending_new(request, slug):
    """Record that the policy was sent to families (a create form, sent once)."""
    policy = _policy(request, slug, "policies.families")
    form = PolicySendingForm(request.POST or None, school=policy.school, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.policy_sending_record(
                policy=policy,
                school_year=data["school_year"],
                sent_on=data["sent_on"],
                method=data["method"],
                year_groups=data["year_groups"],
                sent_by=data["sent_by"],
                by=request.user,
                note=data["note"],
            )
        except Refused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, "Recorded: the policy was sent to families.")
            return redirect(policy)
    return render(request, "policies/policysending_form.html", {"form": form, "policy": policy})
