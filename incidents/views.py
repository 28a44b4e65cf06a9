import contextlib
import functools
import re
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.generic import CreateView, DetailView, ListView

from incidents import services, timeline
from incidents.forms import (
    RECORD_FORMS,
    AdditionForm,
    CloseForm,
    ConcernForm,
    FilteringReviewForm,
    InvolvementForm,
    InvolvementFormSet,
    WithdrawForm,
)
from incidents.models import Category, Concern, Entry, Evidence, FilteringReview, Involvement
from incidents.visibility import (
    can_download,
    can_see,
    can_triage,
    concerns_triaged_by,
    without_concealed,
)
from people.calendar import SchoolCalendar
from people.models import Membership, YearGroup
from roper import permissions
from roper.drafts import draft_discard, draft_for, keeps_draft
from roper.errors import Refused, refusal_redirects
from roper.paging import OneOrder
from roper.permissions import PermissionMixin, permission_required

# -- Report -------------------------------------------------------------------------------


@keeps_draft("concern", permission="incidents.report", url_name="incidents:new")
@permission_required("incidents.report", where="active")
def concern_new(request):
    school = request.school
    # Only those who may look learners up are shown learners' names (governors, the admin
    # type the child's name instead).
    people_kwargs = {
        "school": school,
        "learners": permissions.has_perm(request.user, "learners.view", school),
    }
    if request.method == "POST":
        form = ConcernForm(request.POST, request.FILES, school=school)
        people = InvolvementFormSet(request.POST, prefix="people", form_kwargs=people_kwargs)
        if form.is_valid() and people.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "evidence"}
            concern = services.concern_report(
                school=school,
                reporter=request.user,
                data=data,
                involvements=[p for p in (f.person() for f in people.forms) if p],
                files=form.cleaned_data["evidence"],
            )
            draft_discard(user=request.user, school=school, name="concern")
            messages.success(
                request,
                "Thank you. Your report has been sent to the people who deal with it.",
            )
            return redirect("incidents:detail", pk=concern.pk)
    else:
        draft = draft_for(user=request.user, school=school, name="concern")
        form = ConcernForm(
            school=school,
            initial=draft.initial(ConcernForm.base_fields)
            if draft
            else {"happened_at": timezone.localtime()},
        )
        people = InvolvementFormSet(
            prefix="people",
            form_kwargs=people_kwargs,
            initial=_draft_people(draft) if draft else None,
        )
    categories = form.fields["category"].queryset
    guidance = {
        str(c.pk): {
            "guidance": c.guidance,
            "online": c.is_online,
            "images": c.allows_images,
            "noImages": c.no_images_reason,
            "danger": c.is_immediate_danger,
        }
        for c in categories
    }
    return render(
        request,
        "incidents/concern_form.html",
        {
            "form": form,
            "people": people,
            "guidance": guidance,
            "draft": draft if request.method == "GET" else None,
        },
    )


def _draft_people(draft) -> list[dict]:
    """The people of a kept draft, as the involvement formset's initial rows."""
    total = int((draft.data.get("people-TOTAL_FORMS") or ["0"])[0] or 0)
    fields = InvolvementForm.base_fields
    rows = (draft.initial(fields, prefix=f"people-{i}-") for i in range(min(total, 30)))
    return [row for row in rows if row]


PEOPLE_PREFIX = re.compile(r"people-\d{1,2}")


@require_GET
@permission_required("learners.view", where="active")
def learner_search(request):
    """The report form's learner search: the school's learners matching the name typed in
    one row of people, as choices for that row. Only for those who may look learners up."""
    school = request.school
    prefix = request.GET.get("prefix", "")
    if not PEOPLE_PREFIX.fullmatch(prefix):
        return HttpResponseBadRequest("Which row of people?")
    # A visitor's or parent's name is not looked up.
    q = request.GET.get(f"{prefix}-name", "").strip()
    if request.GET.get(f"{prefix}-kind", "") not in ("", "learner"):
        q = ""
    learners = services.learner_search(school=school, q=q)
    return render(
        request,
        "incidents/partials/_learner_matches.html",
        {"learners": learners, "prefix": prefix, "q": q, "min_chars": services.SEARCH_MIN_CHARS},
    )


class MyConcernsView(OneOrder, PermissionMixin, ListView):
    permission = "incidents.report"
    model = Concern
    template_name = "incidents/concern_mine.html"
    paginate_by = 50

    def get_queryset(self):
        user = self.request.user
        mine = super().get_queryset().filter(reporter=user)
        # Not a report that names the reporter as a subject (a self-referral): concealed from
        # them like any concern about them, its status and "read" would follow its triage.
        return without_concealed(mine, user).select_related("category").order_by("-reported_at")


# -- One concern --------------------------------------------------------------------------


#: Every view of one concern: whoever may report may open their own; finer rules below.
concern_guard = permission_required("incidents.report", model=Concern)


def _concern_page(request, pk, **kwargs) -> str:
    """Where a refused change to a concern goes back to: its page."""
    return reverse("incidents:detail", args=[pk])


def _concern(request, pk) -> tuple[Concern, bool]:
    """The concern and whether the user sees it in full. Another school's concern, or one
    the user may not see (about themself, not routed to them), is a 404: its existence is
    not revealed."""
    concern = Concern.objects.select_related(
        "category", "school", "owner", "reporter", "first_read_by"
    ).get_for_user(request.user, "incidents.report", pk=pk)
    full = can_triage(request.user, concern)
    if not full and not can_see(request.user, concern):
        permissions.refused(request.user, concern, "incidents.report")
        raise Http404
    return concern, full


@functools.cache
def _blank_addition_form() -> SafeString:
    return SafeString(  # nosec B703 - crispy's own output
        Template("{% load crispy_forms_tags %}{{ form|crispy }}").render(
            Context({"form": AdditionForm(concern=None)})
        )
    )


def _detail(request, concern, full, forms=None, status=200):
    """The concern's page, with the forms its viewer may use. The record and close forms
    are drawn only when asked for (`concern_record` and `concern_close` answer a GET with
    the form alone): a form posted back with errors (`forms`, by name) is drawn open."""
    before = request.GET.get("views_before", "")
    page = services.concern_page(
        concern=concern,
        viewer=request.user,
        full=full,
        views_before=int(before) if before.isdigit() else None,
    )
    forms = forms or {}
    token = get_token(request)
    context = {
        **vars(page),
        "timeline": timeline.timeline_html(
            timeline.for_page(page.entries, concern=concern, may_mark_done=page.may_mark_done),
            format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token),
        ),
        # One token for every form of the page, the timeline's and the template's.
        "csrf_token": token,
        "access_rows": timeline.access_rows(page.views),
        "addition_form": forms.get("addition_form") or AdditionForm(concern=concern),
        # The blank form as crispy draws it, drawn once per process (it is the same on every
        # concern's page: its fields do not depend on the concern); a form sent back with its
        # errors is drawn afresh.
        "blank_addition_form": None if "addition_form" in forms else _blank_addition_form(),
        "open_form": next(iter(forms), None),
    }
    if page.can_record:
        context["record_forms"] = [
            (kind, Entry.Kind(kind).label, forms.get(kind)) for kind in RECORD_FORMS
        ]
        context["close_form"] = forms.get("close_form")
    return render(request, "incidents/concern_detail.html", context, status=status)


def _form_alone(request, concern, *, form, title, action, button, confirm=""):
    """One of the concern page's rarely used forms, alone: the part htmx puts in the page
    when it is opened, or a page of its own without JavaScript."""
    template = (
        "incidents/partials/_record_form.html"
        if request.htmx
        else "incidents/concern_record_form.html"
    )
    return render(
        request,
        template,
        {
            "concern": concern,
            "form": form,
            "title": title,
            "action": action,
            "button": button,
            "confirm": confirm,
        },
    )


@concern_guard
def concern_detail(request, pk):
    concern, full = _concern(request, pk)
    services.concern_viewed(concern=concern, viewer=request.user, full=full)
    return _detail(request, concern, full)


@require_POST
@concern_guard
@refusal_redirects(_concern_page)
def concern_add(request, pk):
    concern, full = _concern(request, pk)
    form = AdditionForm(request.POST, request.FILES, concern=concern)
    if concern.is_ended:  # a tab left open: said before what was typed is checked
        raise Refused(concern.ended_message)
    if not form.is_valid():
        return _detail(request, concern, full, {"addition_form": form}, status=400)
    services.concern_add_information(
        concern=concern,
        by=request.user,
        text=form.cleaned_data["text"],
        files=form.cleaned_data["evidence"],
    )
    messages.success(request, "Your information was added.")
    return redirect("incidents:detail", pk=pk)


@require_http_methods(["GET", "POST"])
@concern_guard
@refusal_redirects(_concern_page)
def concern_record(request, pk, kind):
    concern, full = _concern(request, pk)
    if not full:
        raise PermissionDenied
    form_class = RECORD_FORMS.get(kind)
    if form_class is None:
        raise Http404
    if request.method == "GET":
        if concern.is_ended:
            raise Refused(concern.ended_message)
        label = Entry.Kind(kind).label
        return _form_alone(
            request,
            concern,
            form=form_class(concern=concern, prefix=kind),
            title=label,
            action=reverse("incidents:record", args=[pk, kind]),
            button=f"Record {label.lower()}",
        )
    form = form_class(request.POST, concern=concern, prefix=kind)
    if not form.is_valid():
        return _detail(request, concern, full, {kind: form}, status=400)
    services.concern_record(
        concern=concern,
        by=request.user,
        kind=kind,
        fields={f: form.cleaned_data[f] for f in form_class._meta.fields},
    )
    messages.success(request, f"{Entry.Kind(kind).label} recorded.")
    return redirect("incidents:detail", pk=pk)


@require_http_methods(["GET", "POST"])
@concern_guard
@refusal_redirects(_concern_page)
def concern_close(request, pk):
    concern, full = _concern(request, pk)
    if not full:
        raise PermissionDenied
    if request.method == "GET":
        if concern.is_ended:
            raise Refused(concern.ended_message)
        return _form_alone(
            request,
            concern,
            form=CloseForm(concern=concern),
            title="Close the concern",
            action=reverse("incidents:close", args=[pk]),
            button="Close",
            confirm="Close this concern?",
        )
    form = CloseForm(request.POST, concern=concern)
    if not form.is_valid():
        return _detail(request, concern, full, {"close_form": form}, status=400)
    data = form.cleaned_data
    services.concern_close(
        concern=concern,
        by=request.user,
        decision=data["decision"],
        reason=data["reason"],
        outcome=data["outcome"],
        lessons_learnt=data["lessons_learnt"],
        finding=data.get("finding", ""),
        policy=data.get("policy"),
    )
    messages.success(request, "The concern is closed.")
    return redirect("incidents:detail", pk=pk)


@concern_guard
@refusal_redirects(_concern_page)
def concern_withdraw(request, pk):
    """Withdraw a concern reported twice or in error: a page of its own that says what it
    does and asks why, so that it is never done by a slip (it is not undone in a click)."""
    concern, full = _concern(request, pk)
    refusal = services.withdraw_refusal(concern=concern, by=request.user, full=full)
    if refusal is None:
        raise PermissionDenied
    if refusal:
        raise Refused(refusal)
    form = WithdrawForm(request.POST or None, concern=concern, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.concern_withdraw(
            concern=concern,
            by=request.user,
            full=full,
            withdrawn_as=data["withdrawn_as"],
            reason=data["reason"],
            duplicate_of=data["duplicate_of"],
        )
        messages.success(request, "The concern is withdrawn. It is kept, with your reason.")
        return redirect("incidents:detail", pk=pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "incidents/concern_withdraw.html",
        {"concern": concern, "form": form},
        status=status,
    )


@require_POST
@concern_guard
@refusal_redirects(_concern_page)
def action_done(request, pk, entry):
    """Mark an action on the concern done (whoever it was given to, or the owner)."""
    concern, full = _concern(request, pk)
    action = Entry.objects.filter(concern=concern, kind=Entry.Kind.ACTION, pk=entry).first()
    # An action the viewer cannot see on the page (another's, in the reporter's view) is
    # not revealed.
    if action is None or not (full or action.assignee_id == request.user.pk):
        raise Http404
    action.concern = concern
    services.action_done(action=action, by=request.user)
    messages.success(request, "The action is marked done.")
    if request.POST.get("next") == "actions":  # marked done from "My actions"
        return redirect("incidents:actions")
    return redirect("incidents:detail", pk=pk)


@permission_required("incidents.report", where="active")
def my_actions(request):
    """The actions given to me, not yet done, on concerns I may still open."""
    actions = services.actions_for(user=request.user, school=request.school)
    return render(
        request,
        "incidents/action_mine.html",
        {"actions": actions, "today": SchoolCalendar.today()},
    )


@permission_required("incidents.report", model=Evidence, school_field="concern__school")
def evidence_download(request, pk):
    evidence = Evidence.objects.select_related("concern").get_for_user(
        request.user, "incidents.report", pk=pk
    )
    if not can_download(request.user, evidence):
        permissions.refused(
            request.user, evidence, "incidents.report", school_field="concern__school"
        )
        raise Http404
    handle, mime, name = services.evidence_open(evidence=evidence, by=request.user)
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=mime)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# -- Dashboard ----------------------------------------------------------------------------


def _options(choices, selected: str) -> SafeString:
    """`<option>`s of a filter's select, the one chosen marked: built here, not by a template
    loop (the owner filter lists every member of staff: its loop was a fifth of the
    dashboard's template time)."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((pk, " selected" if str(pk) == selected else "", label) for pk, label in choices),
    )


class DashboardView(PermissionMixin, ListView):
    """The triage queues of the school the user works in, most urgent first."""

    permission = "incidents.triage"
    where = "active"
    model = Concern
    template_name = "incidents/dashboard.html"

    def get_template_names(self):
        if self.request.htmx:
            return ["incidents/partials/_queues.html"]
        return [self.template_name]

    def get_queryset(self):
        """The concerns the user triages in this school, narrowed by the filters chosen."""
        user = self.request.user
        qs = concerns_triaged_by(user).for_user(user, self.permission, school=self.request.school)
        get = self.request.GET
        if get.get("category", "").isdigit():
            qs = qs.filter(category_id=int(get["category"]))
        if get.get("risk") in Concern.Risk.values:
            qs = qs.filter(risk_level=get["risk"])
        if get.get("owner", "").isdigit():
            qs = qs.filter(owner_id=int(get["owner"]))
        if get.get("year") in YearGroup.values:
            qs = qs.filter(
                Exists(
                    Involvement.objects.filter(
                        concern=OuterRef("pk"), learner__year_group=get["year"]
                    )
                )
            )
        if get.get("klass"):
            qs = qs.filter(
                Exists(
                    Involvement.objects.filter(
                        concern=OuterRef("pk"), learner__class_name__iexact=get["klass"]
                    )
                )
            )
        with contextlib.suppress(ValueError):
            qs = qs.filter(reported_at__date__gte=date.fromisoformat(get.get("since", "")))
        return qs

    def get_context_data(self, **kwargs):
        school = self.request.school
        now = timezone.now()
        return super().get_context_data(
            queues=services.dashboard_queues(concerns=self.object_list, school=school, now=now),
            now=now,
            queue_size=services.QUEUE_SIZE,
            category_options=_options(
                Category.objects.for_user(
                    self.request.user, self.permission, school=school
                ).values_list("pk", "name"),
                self.request.GET.get("category", ""),
            ),
            owner_options=_options(
                (
                    (pk, f"{first} {last}".strip() or username)
                    for pk, first, last, username in Membership.objects.members(school).values_list(
                        "pk", "first_name", "last_name", "username"
                    )
                ),
                self.request.GET.get("owner", ""),
            ),
            risks=Concern.Risk.choices,
            years=YearGroup.choices,
            query=self.request.GET.urlencode(),
            actions=services.actions_for(user=self.request.user, school=school)[:10],
            today=SchoolCalendar.today(),
            **kwargs,
        )


# -- Filtering and monitoring reviews (DfE standards) -------------------------------------


class FilteringReviewListView(OneOrder, PermissionMixin, ListView):
    """The school's filtering and monitoring reviews, newest first, and whether the next is
    due. The DSL, deputy, OSL, headteacher and leadership record them; governors read."""

    permission = "incidents.filtering.view"
    where = "active"
    model = FilteringReview
    template_name = "incidents/filtering_list.html"
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().select_related("dsl", "senior_leader")

    def get_context_data(self, **kwargs):
        today = SchoolCalendar.today()
        school = self.request.school
        return super().get_context_data(
            state=services.filtering_review_state(school=school, today=today),
            today=today,
            can_record=permissions.has_perm(
                self.request.user, "incidents.filtering.record", school
            ),
            **kwargs,
        )


class FilteringReviewCreateView(PermissionMixin, CreateView):
    permission = "incidents.filtering.record"
    where = "active"
    model = FilteringReview
    form_class = FilteringReviewForm
    template_name = "incidents/filtering_form.html"

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "school": self.request.school,
            "today": SchoolCalendar.today(),
        }

    def form_valid(self, form):
        self.object = services.filtering_review_record(
            school=self.request.school, by=self.request.user, form=form
        )
        messages.success(self.request, "Filtering and monitoring review recorded.")
        return redirect(self.object)


class FilteringReviewDetailView(PermissionMixin, DetailView):
    permission = "incidents.filtering.view"
    model = FilteringReview
    template_name = "incidents/filtering_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("dsl", "senior_leader", "recorded_by")
