import json
from datetime import date
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import CreateView, DetailView, ListView
from django_htmx.http import reswap

from devices import desk, services
from devices.forms import (
    ConfiscationForm,
    CurriculumUseForm,
    CustodyMoveForm,
    DecisionForm,
    LearnerExemptionForm,
    ParentContactForm,
    SearchAuthoriseForm,
    SearchForm,
    SearchToldForm,
    StaffExceptionForm,
)
from devices.models import (
    MOVE_PERMISSION,
    REGISTERS,
    Confiscation,
    CustodyEvent,
    CustodyState,
    DeskEntry,
    Handover,
    Register,
    Search,
    SearchAuthorisation,
)
from devices.signals import confiscation_shown
from incidents.visibility import can_see, without_concealed
from people.calendar import SchoolCalendar
from people.models import Guardian, Learner
from roper.errors import Refused, refusal_redirects
from roper.models import AccessLog
from roper.paging import OneOrder
from roper.permissions import PermissionMixin, has_perm, permission_required, require

# --------------------------------------------------------------------------------------------
# The handover desk


def _state_context(request, school, message="", level="success"):
    day = SchoolCalendar.today()
    return {
        "day": day,
        "counts": desk.counts(school=school, day=day),
        "entry_rows": desk.entry_rows(
            desk.last_entries(school=school, day=day), csrf_input(request)
        ),
        "entries_shown": desk.ENTRIES,
        "message": message,
        "level": level,
    }


def _respond(request, school, message, level="success", *, moved=None, changed=True, retry=None):
    """htmx: the message and what changed at the desk; otherwise back to the desk.

    After one phone moved (`moved`: its handover, with the desk `entry` just written), only
    what changed: today's counts and the new entry, put at the top of the last entries (the
    desk's state is not read again); when nothing changed (`changed=False`: a refusal), the
    message alone, with the form that sends the action again with a reason when the refusal
    asks for one (`retry`: `_retry`); otherwise (an undo, a whole class) the desk's refreshed
    state."""
    if not request.htmx:
        if retry is not None:  # the desk without script: the page, asking for the reason
            return _desk_page(request, _state_context(request, school, message, level), retry)
        getattr(messages, level)(request, message)
        return redirect("devices:desk")
    if moved is not None or not changed:
        context = {"message": message, "level": level, "retry": retry}
        if moved is not None:
            # A check-in read them with its state (services.CHECK_IN_STATE).
            context["counts"] = getattr(moved, "counts", None) or desk.counts(
                school=school, day=moved.school_day
            )
            (context["entry_row"],) = desk.entry_rows([moved.entry], csrf_input(request))
        response = reswap(render(request, "devices/partials/_desk_change.html", context), "none")
        if moved is not None:
            # The page's roster takes the learner's phone as it is now (devices.js).
            response["X-Desk-Moved"] = json.dumps(desk.moved(moved))
    else:
        response = render(
            request,
            "devices/partials/_desk_state.html",
            _state_context(request, school, message, level),
        )
    # devices.js clears the boxes for the next learner, unless the action was refused.
    response["X-Desk-Level"] = level
    return response


#: What a desk action posts that its retry with a reason sends again.
RETRIED = ("q", "tag", "guardian", "expect", "class_name", "action")


def _retry(request, refusal: services.ReasonNeeded) -> dict:
    """The action refused for want of a reason, to send again with one: its URL and what it
    posted. Enter's retry expects the learner it was refused for: if the name typed matches
    another by then, nothing moves (services.desk_enter)."""
    fields = {name: request.POST[name] for name in RETRIED if name in request.POST}
    if "q" in fields and refusal.learner_id is not None:
        fields["expect"] = str(refusal.learner_id)
    return {"url": request.path, "fields": fields.items()}


def desk_view(view):
    """A desk page or action: for holders of `devices.desk` in the school they work in; a
    refused action shows as a warning on the desk (a change to a reconciled day, with a box
    for the reason)."""

    @permission_required("devices.desk", where="active")
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Refused as refusal:
            retry = _retry(request, refusal) if isinstance(refusal, services.ReasonNeeded) else None
            return _respond(
                request, request.school, str(refusal), "warning", changed=False, retry=retry
            )

    return wrapped


def _desk_page(request, context, retry=None):
    school = request.school
    context["classes"] = desk.class_names(school=school)
    context["home_time"] = desk.home_time(school)
    context["retry"] = retry
    return render(request, "devices/desk.html", context)


@desk_view
def desk_page(request):
    return _desk_page(request, _state_context(request, request.school))


@require_GET
@desk_view
def desk_search(request):
    q = request.GET.get("q", "").strip()
    results = desk.search(school=request.school, q=q, day=SchoolCalendar.today())
    return render(
        request,
        "devices/partials/_desk_results.html",
        {
            "results": results,
            "rows": desk.result_rows(results, csrf_input(request)),
            "q": q,
            "min_chars": desk.MIN_CHARS,
        },
    )


def _desk_learner(request, pk):
    """A learner of the school the desk is working in (another school's: 404; a learner of
    another of the user's schools: 403)."""
    learner = Learner.objects.get_for_user(request.user, "devices.desk", pk=pk)
    if learner.school_id != request.school.pk:
        raise PermissionDenied
    return learner


@require_GET
@desk_view
def desk_roster(request):
    """The day's roster, searched in the browser by the desk page (static/js/devices.js)."""
    return JsonResponse(desk.roster(school=request.school, day=SchoolCalendar.today()))


@require_POST
@desk_view
def desk_enter(request):
    """Enter in the search box: the top match is checked in (or out, at home time)."""
    q = request.POST.get("q", "").strip()
    expected = request.POST.get("expect", "")
    message, level, moved = services.desk_enter(
        school=request.school,
        q=q,
        by=request.user,
        tag=request.POST.get("tag", ""),
        expected=int(expected) if expected.isdigit() else None,
        reason=request.POST.get("reason", ""),
    )
    return _respond(request, request.school, message, level, moved=moved, changed=bool(moved))


@require_POST
@desk_view
def desk_check_in(request, pk):
    learner = _desk_learner(request, pk)
    handover = services.handover_check_in(
        learner=learner,
        by=request.user,
        tag=request.POST.get("tag", ""),
        reason=request.POST.get("reason", ""),
    )
    message = services.check_in_message(learner, handover)
    return _respond(request, request.school, message, moved=handover)


@require_POST
@desk_view
def desk_check_out(request, pk):
    school = request.school
    learner = _desk_learner(request, pk)
    guardian = None
    guardian_id = request.POST.get("guardian", "")
    if guardian_id.isdigit():
        guardian = (
            Guardian.objects.for_user(request.user, "devices.desk", school=school)
            .filter(pk=guardian_id)
            .first()
        )
        if guardian is None:
            raise Refused("Choose a parent or carer on file.")
    handover = services.handover_check_out(
        learner=learner,
        by=request.user,
        guardian=guardian,
        reason=request.POST.get("reason", "").strip(),
    )
    who = guardian.name if guardian else "the learner"
    return _respond(request, school, f"{learner.name}: phone collected by {who}.", moved=handover)


@require_POST
@desk_view
def desk_undo(request, pk):
    entry = DeskEntry.objects.get_for_user(request.user, "devices.desk", pk=pk)
    services.handover_undo(
        entry=entry, by=request.user, reason=request.POST.get("reason", "").strip()
    )
    return _respond(request, request.school, f"Undone: {entry.get_kind_display().lower()}.", "info")


@require_POST
@desk_view
def desk_class(request):
    school = request.school
    class_name = request.POST.get("class_name", "").strip()
    action = request.POST.get("action")
    if class_name not in desk.class_names(school=school) or action not in ("in", "out"):
        raise Refused("Choose a class and an action.")
    reason = request.POST.get("reason", "")
    if action == "in":
        done, skipped = services.class_check_in(
            school=school, class_name=class_name, by=request.user, reason=reason
        )
        message = f"{class_name}: {done} phone(s) checked in"
    else:
        done, skipped = services.class_check_out(
            school=school, class_name=class_name, by=request.user, reason=reason
        )
        message = f"{class_name}: {done} phone(s) checked out"
    if skipped:
        message += f", {skipped} skipped (already done or exempt)"
    return _respond(request, school, message + ".")


# --------------------------------------------------------------------------------------------
# Confiscations


class ConfiscationListView(OneOrder, PermissionMixin, ListView):
    permission = "devices.confiscations"
    model = Confiscation
    paginate_by = 50
    template_name = "devices/confiscation_list.html"

    def get_queryset(self):
        qs = super().get_queryset().select_related("learner", "confiscated_by")
        qs = without_concealed(qs, self.request.user, "concern")
        if self.request.GET.get("show") != "all":
            qs = qs.open()
        return qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            show=self.request.GET.get("show", "open"),
            # The office releases confiscated phones but does not confiscate (DESIGN.md).
            can_confiscate=has_perm(self.request.user, "devices.confiscate", self.request.school),
            may_search=services.search_may_record(
                user=self.request.user, school=self.request.school
            ),
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
                ),
                Prefetch(
                    "searches",
                    queryset=Search.objects.select_related("searched_by", "witness").order_by(
                        "searched_at"
                    ),
                ),
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
        return super().get_context_data(
            moves=[
                (CustodyState(state), CustodyMoveForm(confiscation=obj))
                for state in obj.moves_for(user)
            ],
            can_override=has_perm(user, "devices.override_release", obj.school_id),
            concern_visible=obj.concern_id is not None and can_see(user, obj.concern),
            can_read_searches=has_perm(user, "devices.searches", obj.school_id),
            may_search=services.search_may_record(user=user, school=obj.school_id),
            # What the apps above add (conduct: the notices sent to the parents about it).
            sections=[
                section
                for _, section in confiscation_shown.send(
                    sender=Confiscation, confiscation=obj, user=user
                )
                if section
            ],
            **kwargs,
        )


class ConfiscationCreateView(PermissionMixin, CreateView):
    permission = "devices.confiscate"
    where = "active"
    form_class = ConfiscationForm
    template_name = "devices/confiscation_form.html"

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
@permission_required("devices.confiscations", model=Confiscation)
@refusal_redirects("devices:confiscation")
def confiscation_move(request, pk):
    # A device linked to a concern concealed from the user is, to them, a device that does
    # not exist: the same 404, whatever their roles (DESIGN.md, "Secrecy is one rule").
    confiscation = without_concealed(
        Confiscation.objects.select_related("learner"), request.user, "concern"
    ).get_for_user(request.user, "devices.confiscations", pk=pk)
    form = CustodyMoveForm(request.POST, confiscation=confiscation)
    if not form.is_valid():
        raise Refused("Check the details of the move.")
    data = form.cleaned_data
    require(request.user, MOVE_PERMISSION[data["to_state"]], confiscation.school_id)
    services.confiscation_move(
        confiscation=confiscation,
        by=request.user,
        can_override=has_perm(request.user, "devices.override_release", confiscation.school_id),
        **data,
    )
    messages.success(request, f"Recorded: {CustodyState(data['to_state']).label.lower()}.")
    return redirect("devices:confiscation", pk)


# --------------------------------------------------------------------------------------------
# End of day


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return SchoolCalendar.today()


def _end_of_day_url(day: date) -> str:
    return f"{reverse('devices:end_of_day')}?day={day:%Y-%m-%d}"


@permission_required("devices.desk", where="active")
def end_of_day(request):
    context = services.end_of_day(
        school=request.school, day=_day(request.GET.get("day", "")), user=request.user
    )
    return render(request, "devices/end_of_day.html", context)


@permission_required("devices.desk", where="active")
def end_of_day_print(request):
    """The phones not yet collected, as a page to print (or read on a tablet)."""
    day = _day(request.GET.get("day", ""))
    return render(
        request,
        "devices/end_of_day_print.html",
        {"day": day, "handovers": services.uncollected(school=request.school, day=day)},
    )


@require_POST
@permission_required("devices.desk", where="active")
@refusal_redirects(lambda request, pk: _end_of_day_url(Handover.objects.get(pk=pk).school_day))
def end_of_day_explain(request, pk):
    handover = Handover.objects.get_for_user(request.user, "devices.desk", pk=pk)
    services.handover_explain(
        handover=handover,
        by=request.user,
        note=request.POST.get("note", "")[:200],
        reason=request.POST.get("reason", "").strip(),
    )
    messages.success(request, "Saved.")
    return redirect(_end_of_day_url(handover.school_day))


@require_POST
@permission_required("devices.desk", where="active")
@refusal_redirects(lambda request: _end_of_day_url(_day(request.POST.get("day", ""))))
def end_of_day_reconcile(request):
    day = _day(request.POST.get("day", ""))
    services.day_reconcile(school=request.school, day=day, by=request.user)
    messages.success(request, f"{day:%d/%m/%Y} marked as reconciled.")
    return redirect(_end_of_day_url(day))


@require_POST
@permission_required("devices.desk", where="active")
@refusal_redirects(lambda request: _end_of_day_url(_day(request.POST.get("day", ""))))
def end_of_day_absent(request):
    """Who was absent that day: the ticked learners (sending it twice changes nothing)."""
    day = _day(request.POST.get("day", ""))
    ids = {int(v) for v in request.POST.getlist("absent") if v.isdigit()}
    services.absences_set(school=request.school, day=day, learner_ids=ids, by=request.user)
    n = len(ids)
    messages.success(
        request, f"{n} learner{'s' if n != 1 else ''} marked absent on {day:%d/%m/%Y}."
    )
    return redirect(_end_of_day_url(day) + "#absent")


# --------------------------------------------------------------------------------------------
# Exceptions and approvals

#: register slug -> the form a request of it is filed with.
FORMS = {
    "staff": StaffExceptionForm,
    "parent-contact": ParentContactForm,
    "exemptions": LearnerExemptionForm,
    "curriculum": CurriculumUseForm,
}


def _register(slug) -> Register:
    try:
        return REGISTERS[slug]
    except KeyError:
        raise Http404 from None


@permission_required("devices.exceptions.request", where="active")
def exceptions(request):
    sections = services.exception_sections(school=request.school, user=request.user)
    return render(request, "devices/exceptions.html", {"sections": sections})


@permission_required("devices.exceptions.request", where="active")
def exception_new(request, kind):
    register = _register(kind)
    form_class = FORMS[register.slug]
    school = request.school
    kwargs = {"school": school} if "learner" in form_class.base_fields else {}
    form = form_class(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        obj = form.save(commit=False)
        obj.school = school
        obj.requested_by = request.user
        obj.save()
        messages.success(request, "Request filed. The decider will see it in their list.")
        return redirect("devices:exceptions")
    return render(request, "devices/exception_form.html", {"form": form, "register": register})


@permission_required("devices.exceptions.request")
def exception_detail(request, kind, pk):
    register = _register(kind)
    obj = register.rows().get_for_user(request.user, "devices.exceptions.request", pk=pk)
    can_decide = services.exception_can_decide(register=register, obj=obj, user=request.user)
    if obj.requested_by_id != request.user.pk and not can_decide:
        raise PermissionDenied
    form = DecisionForm(request.POST or None) if can_decide else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:  # refused too when someone decided it since the page was shown
                obj.decide(by=request.user, **form.cleaned_data)
            except Refused as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(request, f"{obj.get_status_display()}.")
                return redirect("devices:exceptions")
    if not obj.is_pending:
        form = None
    return render(
        request,
        "devices/exception_detail.html",
        {"object": obj, "register": register, "form": form},
    )


# --------------------------------------------------------------------------------------------
# Searches (DfE, "Searching, screening and confiscation", 2022)


def _searches(user):
    """Searches, without those whose confiscation belongs to a concern concealed from `user`."""
    return without_concealed(
        Search.objects.select_related("learner", "searched_by", "witness", "confiscation"),
        user,
        "confiscation__concern",
    )


class SearchListView(OneOrder, PermissionMixin, ListView):
    permission = "devices.searches"
    model = Search
    paginate_by = 50
    template_name = "devices/search_list.html"

    def get_queryset(self):
        return without_concealed(
            super().get_queryset().select_related("learner", "searched_by", "witness"),
            self.request.user,
            "confiscation__concern",
        )

    def get_context_data(self, **kwargs):
        school, user = self.request.school, self.request.user
        return super().get_context_data(
            may_search=services.search_may_record(user=user, school=school),
            can_authorise=has_perm(user, "devices.search.authorise", school),
            **kwargs,
        )


@permission_required("devices.search", where="active")
def search_new(request):
    school, user = request.school, request.user
    if not services.search_may_record(user=user, school=school):
        return render(
            request,
            "devices/search_refused.html",
            {"message": services.SEARCH_NOT_AUTHORISED},
            status=403,
        )
    instance = Search(school=school, searched_by=user, recorded_by=user)
    form = SearchForm(
        request.POST or None,
        instance=instance,
        school=school,
        user=user,
        initial={
            "learner": request.GET.get("learner"),
            "confiscation": request.GET.get("confiscation"),
            "anything_found": bool(request.GET.get("confiscation")),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            search = services.search_record(search=form.instance)
        except Refused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, "Search recorded.")
            return redirect("devices:search", search.pk)
    return render(request, "devices/search_form.html", {"form": form})


def _search(request, pk) -> Search:
    """A search for those who read searches and for the member of staff who made it (403 for
    other members); another school's search, or one concealed from the user, is a 404."""
    search = _searches(request.user).get_for_user(request.user, "school.member", pk=pk)
    user = request.user
    if not has_perm(user, "devices.searches", search.school_id) and user.pk not in (
        search.searched_by_id,
        search.recorded_by_id,
    ):
        raise PermissionDenied
    return search


@permission_required("devices.searches", "devices.search")
def search_detail(request, pk):
    search = _search(request, pk)
    user = request.user
    told = None
    if not (search.parents_informed_at and search.dsl_informed_at):
        told = SearchToldForm()
        for name in ("parents_informed_at", "parents_informed_how", "dsl_informed_at"):
            if getattr(search, name):
                del told.fields[name]
    return render(
        request,
        "devices/search_detail.html",
        {
            "object": search,
            "told": told,
            "may_confiscate": search.anything_found
            and search.confiscation_id is None
            and has_perm(user, "devices.confiscate", search.school_id),
        },
    )


@require_POST
@permission_required("devices.searches", "devices.search")
@refusal_redirects("devices:search")
def search_told(request, pk):
    search = _search(request, pk)
    form = SearchToldForm(request.POST)
    if not form.is_valid():
        raise Refused("Give the date and time as day/month/year hours:minutes.")
    services.search_told(search=search, **form.cleaned_data)
    messages.success(request, "Recorded.")
    return redirect("devices:search", pk)


@permission_required("devices.search.authorise", where="active")
@refusal_redirects("devices:search_authorisations")
def search_authorisations(request):
    school = request.school
    form = SearchAuthoriseForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        services.search_authorise(school=school, user=form.cleaned_data["user"], by=request.user)
        messages.success(request, "Authorised to search.")
        return redirect("devices:search_authorisations")
    authorisations = (
        SearchAuthorisation.objects.for_user(
            request.user, "devices.search.authorise", school=school
        )
        .select_related("user", "authorised_by", "revoked_by")
        .order_by("revoked_at", "-authorised_at")
    )
    return render(
        request,
        "devices/search_authorisations.html",
        {"form": form, "authorisations": authorisations[:200]},
    )


@require_POST
@permission_required("devices.search.authorise", where="active")
@refusal_redirects(lambda request, pk: reverse("devices:search_authorisations"))
def search_authorisation_revoke(request, pk):
    authorisation = SearchAuthorisation.objects.get_for_user(
        request.user, "devices.search.authorise", school=request.school, pk=pk
    )
    services.search_authorisation_revoke(authorisation=authorisation, by=request.user)
    messages.success(request, "Authorisation revoked.")
    return redirect("devices:search_authorisations")
