import contextlib
import re
from datetime import date

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import ListView

from incidents import services
from incidents.forms import (
    RECORD_FORMS,
    AdditionForm,
    CloseForm,
    ConcernForm,
    InvolvementFormSet,
    school_staff,
)
from incidents.models import Category, Concern, Entry, Evidence, Involvement
from incidents.visibility import can_see, can_triage, concerns_triaged_by, without_concealed
from people.calendar import SchoolCalendar
from people.models import Learner, YearGroup
from roper import permissions
from roper.models import AccessLog
from roper.permissions import PermissionMixin, require
from roper.uploads import IMAGE_TYPES, PDF_TYPES, served_type

QUEUE_SIZE = 50
#: Rows of "who viewed this record" per page, newest first.
VIEWS_PER_PAGE = 50


# -- Report -------------------------------------------------------------------------------


def concern_new(request):
    school = request.school
    require(request.user, "incidents.report", school)
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
            messages.success(
                request,
                "Thank you. Your report has been sent to the people who deal with it.",
            )
            return redirect("incidents:detail", pk=concern.pk)
    else:
        form = ConcernForm(school=school, initial={"happened_at": timezone.localtime()})
        people = InvolvementFormSet(prefix="people", form_kwargs=people_kwargs)
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
        {"form": form, "people": people, "guidance": guidance},
    )


PEOPLE_PREFIX = re.compile(r"people-\d{1,2}")


@require_GET
def learner_search(request):
    """The report form's learner search: the school's learners matching the name typed in
    one row of people, as choices for that row. Only for those who may look learners up."""
    school = request.school
    require(request.user, "learners.view", school)
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


class MyConcernsView(PermissionMixin, ListView):
    permission = "incidents.report"
    model = Concern
    template_name = "incidents/concern_mine.html"
    paginate_by = 50

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .filter(reporter=self.request.user)
            .select_related("category")
            .order_by("-reported_at")
        )


# -- One concern --------------------------------------------------------------------------


def _concern(request, pk) -> tuple[Concern, bool]:
    """The concern and whether the user sees it in full. Another school's concern, or one
    the user may not see (about themself, not routed to them), is a 404: its existence is
    not revealed."""
    concern = permissions.get_object_or_404(
        Concern.objects.select_related("category", "school", "owner", "reporter", "first_read_by"),
        request.user,
        "incidents.report",
        pk=pk,
    )
    full = can_triage(request.user, concern)
    if not full and not can_see(request.user, concern):
        permissions.refused(request.user, concern, "incidents.report")
        raise Http404
    return concern, full


def _detail(request, concern, full, forms=None, status=200):
    entries = concern.entries.select_related("author", "owner")
    if not full:
        entries = entries.filter(kind__in=Entry.REPORTER_KINDS)
    context = {
        "concern": concern,
        "full": full,
        "entries": entries,
        "involvements": concern.involvements.select_related("learner", "staff"),
        "evidence": concern.evidence.all(),
        "addition_form": AdditionForm(concern=concern),
        "can_chronology": permissions.has_perm(
            request.user, "learners.chronology", concern.school_id
        ),
        # Devices confiscated in this concern, for those who may see confiscations.
        "confiscations": concern.confiscations.select_related("learner")
        if permissions.has_perm(request.user, "devices.confiscations", concern.school_id)
        else [],
        "can_confiscate": permissions.has_perm(
            request.user, "devices.confiscate", concern.school_id
        ),
    }
    if full and not concern.is_closed:
        context["record_forms"] = [
            (kind, Entry.Kind(kind).label, form_class(concern=concern, prefix=kind))
            for kind, form_class in RECORD_FORMS.items()
        ]
        context["close_form"] = CloseForm(concern=concern)
    if full:
        # Paged by the last entry shown, not by page number: each view of this page adds an
        # entry, which would push one row from page to page unseen.
        views = AccessLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Concern), object_id=concern.pk
        ).only("user_name", "at", "action", "what", "outcome")
        before = request.GET.get("views_before", "")
        if before.isdigit():
            views = views.filter(pk__lt=int(before))
        views = list(views.order_by("-pk")[: VIEWS_PER_PAGE + 1])
        context["views"] = views[:VIEWS_PER_PAGE]
        context["views_older"] = (
            views[VIEWS_PER_PAGE - 1].pk if len(views) > VIEWS_PER_PAGE else None
        )
        context["views_paged"] = before.isdigit()
        referrals = set(
            concern.entries.filter(kind=Entry.Kind.REFERRAL).values_list("referral", flat=True)
        )
        context["referrals_pending"] = [
            label
            for value, label in Entry._meta.get_field("referral").choices
            if value in concern.category.required_referrals and value not in referrals
        ]
    if forms:
        if "record_forms" in context:
            context["record_forms"] = [
                (kind, label, forms.get(kind, form))
                for kind, label, form in context["record_forms"]
            ]
        for name in ("addition_form", "close_form"):
            if name in forms:
                context[name] = forms[name]
        context["open_form"] = next(iter(forms))
    return render(request, "incidents/concern_detail.html", context, status=status)


def concern_detail(request, pk):
    concern, full = _concern(request, pk)
    AccessLog.record_access(
        user=request.user, obj=concern, school=concern.school_id, what=f"concern #{concern.pk}"
    )
    if full:
        concern.mark_read(request.user)
    return _detail(request, concern, full)


@require_POST
def concern_add(request, pk):
    concern, full = _concern(request, pk)
    form = AdditionForm(request.POST, request.FILES, concern=concern)
    if concern.is_closed:
        messages.error(request, "This concern is closed. Report a new concern instead.")
        return redirect("incidents:detail", pk=pk)
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


@require_POST
def concern_record(request, pk, kind):
    concern, full = _concern(request, pk)
    if not full:
        raise PermissionDenied
    form_class = RECORD_FORMS.get(kind)
    if form_class is None:
        raise Http404
    form = form_class(request.POST, concern=concern, prefix=kind)
    if not form.is_valid():
        return _detail(request, concern, full, {kind: form}, status=400)
    try:
        services.concern_record(
            concern=concern,
            by=request.user,
            kind=kind,
            fields={f: form.cleaned_data[f] for f in form_class._meta.fields},
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{Entry.Kind(kind).label} recorded.")
    return redirect("incidents:detail", pk=pk)


@require_POST
def concern_close(request, pk):
    concern, full = _concern(request, pk)
    if not full:
        raise PermissionDenied
    form = CloseForm(request.POST, concern=concern)
    if not form.is_valid():
        return _detail(request, concern, full, {"close_form": form}, status=400)
    data = form.cleaned_data
    try:
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
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The concern is closed.")
    return redirect("incidents:detail", pk=pk)


def evidence_download(request, pk):
    evidence = permissions.get_object_or_404(
        Evidence.objects.select_related("concern"),
        request.user,
        "incidents.report",
        school_field="concern__school",
        pk=pk,
    )
    concern = evidence.concern
    allowed = can_triage(request.user, concern) or (
        evidence.uploaded_by_id == request.user.pk and can_see(request.user, concern)
    )
    if not allowed:
        permissions.refused(
            request.user, evidence, "incidents.report", school_field="concern__school"
        )
        raise Http404
    AccessLog.record_access(
        user=request.user,
        obj=concern,
        school=concern.school_id,
        what=f"evidence {evidence.pk} of concern #{concern.pk}",
        action=AccessLog.Action.DOWNLOAD,
    )
    # Served by what the file is, under a name of ours: never the uploader's name or
    # extension (`photo.jpg` that is HTML, `report.pdf` that is a program).
    handle = evidence.file.open("rb")
    mime, extension = served_type(handle, allowed=IMAGE_TYPES | PDF_TYPES)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"concern-{concern.pk}-evidence-{evidence.pk}.{extension}",
        content_type=mime,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# -- Dashboard ----------------------------------------------------------------------------


QUEUES = [
    ("new", "New", Q(status=Concern.Status.NEW)),
    ("in_progress", "In progress", Q(status=Concern.Status.IN_PROGRESS)),
    ("awaiting_referral", "Awaiting referral", Q(status=Concern.Status.AWAITING_REFERRAL)),
]


class DashboardView(PermissionMixin, ListView):
    """The triage queues of the school the user works in, most urgent first."""

    permission = "incidents.triage"
    model = Concern
    template_name = "incidents/dashboard.html"

    def dispatch(self, request, *args, **kwargs):
        require(request.user, self.permission, request.school)
        return super().dispatch(request, *args, **kwargs)

    def get_template_names(self):
        if self.request.htmx:
            return ["incidents/partials/_queues.html"]
        return [self.template_name]

    def filtered(self):
        school = self.request.school
        qs = concerns_triaged_by(self.request.user).filter(school=school)
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

    def get_queryset(self):
        return self.filtered()

    def get_context_data(self, **kwargs):
        qs = self.object_list
        school = self.request.school
        term_start = SchoolCalendar(school).current_term_start()
        closed = Q(status=Concern.Status.CLOSED, closed_at__date__gte=term_start)
        counts = qs.aggregate(
            **{key: Count("pk", filter=q) for key, _, q in QUEUES},
            closed=Count("pk", filter=closed),
        )
        learners = Prefetch(
            "involvements",
            queryset=Involvement.objects.filter(learner__isnull=False).select_related("learner"),
            to_attr="learner_involvements",
        )
        rows = qs.select_related("category", "owner").prefetch_related(learners)
        queues = [
            (
                key,
                label,
                counts[key],
                list(rows.filter(q).order_by("deadline", "reported_at")[:QUEUE_SIZE]),
            )
            for key, label, q in QUEUES
        ]
        queues.append(
            (
                "closed",
                "Closed this term",
                counts["closed"],
                list(rows.filter(closed).order_by("-closed_at")[:QUEUE_SIZE]),
            )
        )
        return super().get_context_data(
            queues=queues,
            now=timezone.now(),
            queue_size=QUEUE_SIZE,
            categories=Category.objects.filter(school=school),
            owners=school_staff(school),
            risks=Concern.Risk.choices,
            years=YearGroup.choices,
            query=self.request.GET.urlencode(),
            **kwargs,
        )


# -- Chronology ---------------------------------------------------------------------------


def chronology(request, pk):
    learner = permissions.get_object_or_404(
        Learner.objects.select_related("school"), request.user, "learners.chronology", pk=pk
    )
    concerns = (
        concerns_triaged_by(request.user)
        .filter(Exists(Involvement.objects.filter(concern=OuterRef("pk"), learner=learner)))
        .select_related("category", "reporter")
    )
    events = [
        {
            "at": c.reported_at,
            "kind": "Concern reported",
            "concern": c,
            "text": c.what_happened,
            "detail": c.category.name,
        }
        for c in concerns
    ]
    entries = Entry.objects.filter(
        concern__in=concerns,
        kind__in=[
            Entry.Kind.TRIAGE,
            Entry.Kind.ACTION,
            Entry.Kind.REFERRAL,
            Entry.Kind.PARENT_CONTACT,
            Entry.Kind.CLOSURE,
        ],
    ).select_related("concern", "author")
    for e in entries:
        detail = e.get_referral_display() if e.referral else ""
        if e.kind == Entry.Kind.PARENT_CONTACT:
            detail = e.contact_who or "Not told"
        events.append(
            {
                "at": e.referred_at or e.at,
                "kind": e.get_kind_display(),
                "concern": e.concern,
                "text": e.text,
                "detail": detail,
                "entry": e,
            }
        )
    from devices.models import Confiscation

    # Devices linked to a concern concealed from the user are left out; a link to a concern
    # is shown only when the user sees that concern in full.
    confiscations = without_concealed(
        Confiscation.objects.filter(learner=learner), request.user, "concern"
    )
    shown = {c.pk: c for c in concerns}
    for confiscation in confiscations.prefetch_related("events"):
        for event in confiscation.events.all():
            events.append(
                {
                    "at": event.at,
                    "kind": f"Device {event.get_state_display().lower()}",
                    "concern": shown.get(confiscation.concern_id),
                    "text": confiscation.reason if event.sequence == 1 else event.note,
                    "detail": confiscation.device,
                    "confiscation": confiscation,
                }
            )
    events.sort(key=lambda ev: ev["at"])
    AccessLog.record_access(
        user=request.user,
        obj=learner,
        school=learner.school_id,
        what=f"chronology of learner {learner.pk}",
    )
    return render(request, "incidents/chronology.html", {"learner": learner, "events": events})
