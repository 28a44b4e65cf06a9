from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import CreateView, DetailView, ListView

from devices import desk, services
from devices.forms import (
    ConfiscationForm,
    CurriculumUseForm,
    CustodyMoveForm,
    DecisionForm,
    LearnerExemptionForm,
    ParentContactForm,
    StaffExceptionForm,
)
from devices.models import (
    Confiscation,
    CurriculumUseRequest,
    CustodyEvent,
    CustodyState,
    DayReconciliation,
    Decision,
    DeskEntry,
    DeskError,
    Handover,
    LearnerExemption,
    NotYoursError,
    ParentContactException,
    StaffException,
)
from incidents.visibility import can_see, without_concealed
from people.calendar import SchoolCalendar
from people.models import Guardian, Learner
from roper.models import AccessLog
from roper.permissions import PermissionMixin, get_object_or_404, has_perm, require

# --------------------------------------------------------------------------------------------
# The handover desk


def _desk_school(request):
    require(request.user, "devices.desk", request.school)
    return request.school


def _state_context(request, school, message="", level="success"):
    day = SchoolCalendar.today()
    entries = desk.last_entries(school=school, day=day)
    undo_after = timezone.now() - services.UNDO_WINDOW
    for entry in entries:
        entry.can_undo = (
            entry.kind in (DeskEntry.Kind.IN, DeskEntry.Kind.OUT)
            and not entry.undone
            and entry.at >= undo_after
        )
    return {
        "day": day,
        "counts": desk.counts(school=school, day=day),
        "entries": entries,
        "message": message,
        "level": level,
    }


def _respond(request, school, message, level="success"):
    """htmx: the refreshed desk state with the message; otherwise back to the desk."""
    if request.htmx:
        return render(
            request,
            "devices/partials/_desk_state.html",
            _state_context(request, school, message, level),
        )
    getattr(messages, level)(request, message)
    return redirect("devices:desk")


def desk_page(request):
    school = _desk_school(request)
    context = _state_context(request, school)
    context["classes"] = desk.class_names(school=school)
    context["home_time"] = desk.HOME_TIME
    return render(request, "devices/desk.html", context)


@require_GET
def desk_search(request):
    school = _desk_school(request)
    q = request.GET.get("q", "").strip()
    results = desk.search(school=school, q=q, day=SchoolCalendar.today())
    return render(
        request,
        "devices/partials/_desk_results.html",
        {"results": results, "q": q, "min_chars": desk.MIN_CHARS, "home_time": desk.HOME_TIME},
    )


def _desk_learner(request, pk):
    learner = get_object_or_404(Learner.objects.all(), request.user, "devices.desk", pk=pk)
    if learner.school_id != request.school.pk:
        raise PermissionDenied
    return learner


@require_POST
def desk_enter(request):
    """Enter in the search box: the top match is checked in (or out, at home time)."""
    school = _desk_school(request)
    q = request.POST.get("q", "").strip()
    results = desk.search(school=school, q=q, day=SchoolCalendar.today(), limit=1)
    if not results:
        return _respond(request, school, f"No learner matches “{q}”.", "warning")
    learner = results[0]
    try:
        if learner.exemption:
            return _respond(
                request,
                school,
                f"{learner.name} is exempt ({learner.exemption.get_reason_display()}): "
                "they keep their phone.",
                "info",
            )
        if learner.today is None:
            services.handover_check_in(learner=learner, by=request.user)
            return _respond(request, school, f"{learner.name} ({learner.class_name}): phone in.")
        if learner.today.out_at is None and desk.is_home_time():
            services.handover_check_out(learner=learner, by=request.user)
            return _respond(request, school, f"{learner.name}: phone collected by the learner.")
        if learner.today.out_at is None:
            raise DeskError(
                f"{learner.name}'s phone is already in (since "
                f"{timezone.localtime(learner.today.in_at):%H:%M}). Before home time, use "
                "“Check out” to hand it back."
            )
        raise DeskError(
            f"{learner.name}'s phone was already collected at "
            f"{timezone.localtime(learner.today.out_at):%H:%M}."
        )
    except DeskError as error:
        return _respond(request, school, str(error), "warning")


@require_POST
def desk_check_in(request, pk):
    school = _desk_school(request)
    learner = _desk_learner(request, pk)
    try:
        services.handover_check_in(
            learner=learner, by=request.user, tag=request.POST.get("tag", "").strip()[:20]
        )
    except DeskError as error:
        return _respond(request, school, str(error), "warning")
    return _respond(request, school, f"{learner.name} ({learner.class_name}): phone in.")


@require_POST
def desk_check_out(request, pk):
    school = _desk_school(request)
    learner = _desk_learner(request, pk)
    guardian = None
    guardian_id = request.POST.get("guardian", "")
    if guardian_id.isdigit():
        guardian = Guardian.objects.filter(pk=guardian_id, school=school).first()
        if guardian is None:
            return _respond(request, school, "Choose a parent or carer on file.", "warning")
    try:
        services.handover_check_out(
            learner=learner,
            by=request.user,
            guardian=guardian,
            reason=request.POST.get("reason", "").strip(),
        )
    except DeskError as error:
        return _respond(request, school, str(error), "warning")
    who = guardian.name if guardian else "the learner"
    return _respond(request, school, f"{learner.name}: phone collected by {who}.")


@require_POST
def desk_undo(request, pk):
    school = _desk_school(request)
    entry = get_object_or_404(DeskEntry.objects.all(), request.user, "devices.desk", pk=pk)
    try:
        services.handover_undo(
            entry=entry, by=request.user, reason=request.POST.get("reason", "").strip()
        )
    except DeskError as error:
        return _respond(request, school, str(error), "warning")
    return _respond(request, school, f"Undone: {entry.get_kind_display().lower()}.", "info")


@require_POST
def desk_class(request):
    school = _desk_school(request)
    class_name = request.POST.get("class_name", "").strip()
    action = request.POST.get("action")
    if class_name not in desk.class_names(school=school) or action not in ("in", "out"):
        return _respond(request, school, "Choose a class and an action.", "warning")
    if action == "in":
        done, skipped = services.class_check_in(
            school=school, class_name=class_name, by=request.user
        )
        message = f"{class_name}: {done} phone(s) checked in"
    else:
        done, skipped = services.class_check_out(
            school=school, class_name=class_name, by=request.user
        )
        message = f"{class_name}: {done} phone(s) checked out"
    if skipped:
        message += f", {skipped} skipped (already done or exempt)"
    return _respond(request, school, message + ".")


# --------------------------------------------------------------------------------------------
# Confiscations


class ConfiscationListView(PermissionMixin, ListView):
    permission = "devices.confiscations"
    model = Confiscation
    paginate_by = 50
    template_name = "devices/confiscation_list.html"

    def get_queryset(self):
        qs = super().get_queryset().select_related("learner", "confiscated_by")
        qs = without_concealed(qs, self.request.user, "concern")
        if self.request.GET.get("show") != "all":
            qs = qs.filter(state__in=[CustodyState.CONFISCATED, CustodyState.SECURED])
        return qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            show=self.request.GET.get("show", "open"),
            # The office releases confiscated phones but does not confiscate (DESIGN.md).
            can_confiscate=has_perm(self.request.user, "devices.confiscate", self.request.school),
            **kwargs,
        )


class ConfiscationDetailView(PermissionMixin, DetailView):
    permission = "devices.confiscations"
    model = Confiscation
    template_name = "devices/confiscation_detail.html"

    def get_queryset(self):
        # A device linked to a concern concealed from the user is not theirs to see: 404.
        return (
            without_concealed(super().get_queryset(), self.request.user, "concern")
            .select_related("learner", "confiscated_by", "concern")
            .prefetch_related(
                Prefetch(
                    "events",
                    queryset=CustodyEvent.objects.select_related("by", "checked_by", "guardian"),
                )
            )
        )

    def get_object(self, queryset=None):
        obj = super().get_object(queryset)
        if obj.is_evidence:
            AccessLog.record_access(
                user=self.request.user, obj=obj, school=obj.school_id, what=f"evidence #{obj.pk}"
            )
        return obj

    def get_context_data(self, **kwargs):
        obj = self.object
        user = self.request.user
        moves = []
        for state in obj.allowed_moves():
            if has_perm(user, MOVE_PERMISSION[state], obj.school_id):
                moves.append((CustodyState(state), CustodyMoveForm(confiscation=obj)))
        return super().get_context_data(
            moves=moves,
            can_override=has_perm(user, "devices.override_release", obj.school_id),
            concern_visible=obj.concern_id is not None and can_see(user, obj.concern),
            **kwargs,
        )


#: to state -> the permission needed to make that move.
MOVE_PERMISSION = {
    CustodyState.SECURED: "devices.confiscations",
    CustodyState.RELEASED: "devices.release",
    CustodyState.POLICE: "devices.release",
}


class ConfiscationCreateView(PermissionMixin, CreateView):
    permission = "devices.confiscate"
    form_class = ConfiscationForm
    template_name = "devices/confiscation_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            require(request.user, self.permission, request.school)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "school": self.request.school,
            "user": self.request.user,
        }

    def get_initial(self):
        return {
            "concern": self.request.GET.get("concern"),
            "learner": self.request.GET.get("learner"),
        }

    def form_valid(self, form):
        data = form.cleaned_data
        confiscation = services.confiscation_record(
            learner=data["learner"],
            device=data["device"],
            reason=data["reason"],
            reason_kind=data["reason_kind"],
            held_at=data["held_at"],
            by=self.request.user,
            concern=data["concern"],
        )
        messages.success(self.request, "Confiscation recorded.")
        return redirect("devices:confiscation", confiscation.pk)


@require_POST
def confiscation_move(request, pk):
    # A device linked to a concern concealed from the user is, to them, a device that does
    # not exist: the same 404, whatever their roles (DESIGN.md, "Secrecy is one rule").
    confiscation = get_object_or_404(
        without_concealed(Confiscation.objects.select_related("learner"), request.user, "concern"),
        request.user,
        "devices.confiscations",
        pk=pk,
    )
    form = CustodyMoveForm(request.POST, confiscation=confiscation)
    if not form.is_valid():
        messages.error(request, "Check the details of the move.")
        return redirect("devices:confiscation", pk)
    data = form.cleaned_data
    require(request.user, MOVE_PERMISSION[data["to_state"]], confiscation.school_id)
    try:
        services.confiscation_move(
            confiscation=confiscation,
            by=request.user,
            can_override=has_perm(request.user, "devices.override_release", confiscation.school_id),
            **data,
        )
    except NotYoursError:
        # Linked to a concern concealed from them since the lookup above: as absent as then.
        raise Http404 from None
    except DeskError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Recorded: {CustodyState(data['to_state']).label.lower()}.")
    return redirect("devices:confiscation", pk)


# --------------------------------------------------------------------------------------------
# End of day


def _day(request):
    try:
        return date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return SchoolCalendar.today()


def end_of_day(request):
    school = _desk_school(request)
    day = _day(request)
    handovers = list(
        Handover.objects.filter(school=school, school_day=day, undone_at__isnull=True)
        .select_related("learner", "received_by", "collected_by")
        .order_by("learner__class_name", "learner__legal_last_name", "learner__legal_first_name")
    )
    open_confiscations = list(
        without_concealed(
            Confiscation.objects.filter(
                school=school, state__in=[CustodyState.CONFISCATED, CustodyState.SECURED]
            ),
            request.user,
            "concern",
        )
        .select_related("learner")
        .order_by("confiscated_at")
    )
    classes: dict[str, dict] = {}

    def row(name):
        return classes.setdefault(
            name, {"name": name, "handed_in": 0, "collected": 0, "held": [], "confiscations": []}
        )

    for handover in handovers:
        r = row(handover.learner.class_name)
        r["handed_in"] += 1
        if handover.out_at:
            r["collected"] += 1
        else:
            r["held"].append(handover)
    for confiscation in open_confiscations:
        row(confiscation.learner.class_name)["confiscations"].append(confiscation)
    unexplained = [h for h in handovers if h.is_held and not h.held_note]
    return render(
        request,
        "devices/end_of_day.html",
        {
            "day": day,
            "classes": sorted(classes.values(), key=lambda r: r["name"]),
            "unexplained": unexplained,
            "reconciliation": DayReconciliation.objects.filter(school=school, school_day=day)
            .select_related("reconciled_by")
            .first(),
        },
    )


@require_POST
def end_of_day_explain(request, pk):
    _desk_school(request)
    handover = get_object_or_404(Handover.objects.all(), request.user, "devices.desk", pk=pk)
    try:
        services.handover_explain(
            handover=handover,
            by=request.user,
            note=request.POST.get("note", "")[:200],
            reason=request.POST.get("reason", "").strip(),
        )
    except DeskError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Saved.")
    return redirect(f"{reverse('devices:end_of_day')}?day={handover.school_day:%Y-%m-%d}")


@require_POST
def end_of_day_reconcile(request):
    school = _desk_school(request)
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        day = SchoolCalendar.today()
    try:
        services.day_reconcile(school=school, day=day, by=request.user)
    except DeskError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{day:%d/%m/%Y} marked as reconciled.")
    return redirect(f"{reverse('devices:end_of_day')}?day={day:%Y-%m-%d}")


# --------------------------------------------------------------------------------------------
# Exceptions and approvals


@dataclass(frozen=True)
class Register:
    slug: str
    title: str
    model: type
    form: type
    #: For the staff register, which kinds a permission decides; otherwise one permission.
    deciders: dict

    def decided_by(self, user, school) -> Q | None:
        """The rows this user decides, or None."""
        q = None
        for permission, condition in self.deciders.items():
            if has_perm(user, permission, school):
                q = condition if q is None else q | condition
        return q


SK = StaffException.Kind
REGISTERS = {
    r.slug: r
    for r in [
        Register(
            "staff",
            "Staff requests and declarations",
            StaffException,
            StaffExceptionForm,
            {
                "devices.exceptions.approve": Q(kind__in=[SK.PERSONAL_DEVICE, SK.SOCIAL_MEDIA]),
                "devices.relationships.decide": Q(kind=SK.RELATIONSHIP),
            },
        ),
        Register(
            "parent-contact",
            "Parent-contact exceptions",
            ParentContactException,
            ParentContactForm,
            {"devices.exceptions.approve": Q()},
        ),
        Register(
            "exemptions",
            "Learners exempt from handing in",
            LearnerExemption,
            LearnerExemptionForm,
            {"devices.exceptions.approve": Q()},
        ),
        Register(
            "curriculum",
            "Curriculum use of learners' devices",
            CurriculumUseRequest,
            CurriculumUseForm,
            {"devices.curriculum.approve": Q()},
        ),
    ]
}


def _register(slug) -> Register:
    try:
        return REGISTERS[slug]
    except KeyError:
        raise Http404 from None


def _related(model):
    fields = ["requested_by", "decided_by"]
    if any(f.name == "learner" for f in model._meta.fields):
        fields.append("learner")
    return model.objects.select_related(*fields)


def exceptions(request):
    school = request.school
    require(request.user, "devices.exceptions.request", school)
    sections = []
    for register in REGISTERS.values():
        rows = _related(register.model).filter(school=school)
        decides = register.decided_by(request.user, school)
        sections.append(
            {
                "register": register,
                "pending": list(rows.filter(decides, status=Decision.PENDING))
                if decides is not None
                else None,
                "decided": list(rows.filter(decides).exclude(status=Decision.PENDING)[:20])
                if decides is not None
                else None,
                "mine": list(rows.filter(requested_by=request.user)[:20]),
            }
        )
    return render(request, "devices/exceptions.html", {"sections": sections})


def exception_new(request, kind):
    register = _register(kind)
    school = request.school
    require(request.user, "devices.exceptions.request", school)
    kwargs = {"school": school} if "learner" in register.form.base_fields else {}
    form = register.form(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        obj.school = school
        obj.requested_by = request.user
        obj.save()
        messages.success(request, "Request filed. The decider will see it in their list.")
        return redirect("devices:exceptions")
    return render(request, "devices/exception_form.html", {"form": form, "register": register})


def _exception(request, register, pk):
    obj = get_object_or_404(
        _related(register.model), request.user, "devices.exceptions.request", pk=pk
    )
    decides = register.decided_by(request.user, obj.school_id)
    can_decide = decides is not None and register.model.objects.filter(decides, pk=pk).exists()
    if obj.requested_by_id != request.user.pk and not can_decide:
        raise PermissionDenied
    return obj, can_decide


def exception_detail(request, kind, pk):
    register = _register(kind)
    obj, can_decide = _exception(request, register, pk)
    form = DecisionForm(request.POST or None) if can_decide and obj.is_pending else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                obj.decide(by=request.user, **form.cleaned_data)
            except DeskError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"{obj.get_status_display()}.")
                return redirect("devices:exceptions")
    return render(
        request,
        "devices/exception_detail.html",
        {"object": obj, "register": register, "form": form},
    )
