from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.generic import ListView

from conduct import services
from conduct.forms import BreachForm, BreachSearchForm, LadderFormSet
from conduct.models import Breach, ParentNotice
from conduct.notices import notice_context
from incidents.visibility import is_concealed
from roper.errors import Refused
from roper.paging import OneOrder
from roper.permissions import PermissionMixin, has_perm, permission_required


class BreachListView(OneOrder, PermissionMixin, ListView):
    """The school's breaches, newest first, searched by learner, dates, place and year."""

    permission = "conduct.breaches"
    where = "active"
    model = Breach
    paginate_by = 50
    template_name = "conduct/breach_list.html"

    def get_queryset(self):
        qs = super().get_queryset()
        self.search = BreachSearchForm(self.request.GET or None)
        if self.search.is_valid():
            data = self.search.cleaned_data
            for word in data["q"].split():
                qs = qs.filter(
                    Q(learner__legal_first_name__icontains=word)
                    | Q(learner__legal_last_name__icontains=word)
                    | Q(learner__preferred_name__icontains=word)
                )
            if data["start"]:
                qs = qs.filter(at__date__gte=data["start"])
            if data["end"]:
                qs = qs.filter(at__date__lte=data["end"])
            if data["place"]:
                qs = qs.filter(place=data["place"])
            if data["year"]:
                qs = qs.filter(learner__year_group=data["year"])
        return qs.select_related("learner", "seen_by")

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(search=self.search, query=query.urlencode(), **kwargs)


def _form(request, data=None, steps=()):
    return BreachForm(data, school=request.school, user=request.user, steps=steps)


@permission_required("conduct.record", where="active")
def breach_new(request):
    """Two steps on one page: the breach, then the ladder's step Roper computed for it (which
    may be changed with a reason) before anything is recorded or any parent told."""
    steps = services.ladder_for(request.school)
    if request.method != "POST":
        form = _form(request, steps=steps)
        if request.GET.get("learner", "").isdigit():
            form.initial["learner"] = request.GET["learner"]
        return render(request, "conduct/breach_form.html", {"form": form})
    form = _form(request, request.POST, steps)
    valid = form.is_valid()
    data = form.cleaned_data
    if not (data.get("learner") and data.get("at")):
        return render(request, "conduct/breach_form.html", {"form": form})
    next_step = services.breach_next_step(learner=data["learner"], at=data["at"])
    if valid and "record" in request.POST and data.get("expected_position"):
        try:
            breach = services.breach_record(
                learner=data["learner"],
                by=request.user,
                kind=data["kind"],
                at=data["at"],
                period=data["period"],
                lesson=data["lesson"],
                place=data["place"],
                place_detail=data["place_detail"],
                seen_by=data["seen_by"],
                what_next=data["what_next"],
                confiscation=data["confiscation"],
                confiscate=form.confiscate_data(),
                expected_position=data["expected_position"],
                applied_position=data.get("applied_position") or None,
                override_reason=data["override_reason"],
            )
        except Refused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Breach recorded. Next step: {breach.consequence}.")
            return redirect("conduct:breach", breach.pk)
    # Show the ladder's step: first, or again (after a refusal: what the ladder now says).
    post = request.POST.copy()
    moved = post.get("expected_position") != str(next_step.step.position)
    post["expected_position"] = next_step.step.position
    if moved or not post.get("applied_position"):
        post["applied_position"] = next_step.step.position
    preview = _form(request, post, steps)
    preview.is_valid()
    for error in form.non_field_errors():
        preview.add_error(None, error)
    return render(request, "conduct/breach_form.html", {"form": preview, "next_step": next_step})


def _breach(request, pk) -> Breach:
    """A breach the user may open: any of their school's when they hold conduct.breaches,
    otherwise one they recorded or saw (another school's: 404; anyone else's: 403).

    A breach is never concealed: it is the child's use of a phone, seen by staff, and every
    breach counts on the ladder for every viewer alike (a breach hidden from someone would
    show in the next one's step). What may be concealed is the device it was confiscated as,
    once that is evidence in a concern the user may not know of: `_device` leaves it out."""
    qs = Breach.objects.select_related(
        "learner", "seen_by", "recorded_by", "confiscation"
    ).prefetch_related(
        Prefetch("notices", queryset=ParentNotice.objects.select_related("guardian"))
    )
    breach = qs.get_for_user(request.user, "conduct.record", pk=pk)
    if not has_perm(request.user, "conduct.breaches", breach.school_id) and request.user.pk not in (
        breach.recorded_by_id,
        breach.seen_by_id,
    ):
        raise PermissionDenied
    return breach


def _device(breach: Breach, user):
    """The breach's confiscation, unless it belongs to a concern concealed from `user`."""
    device = breach.confiscation
    if device is None or is_concealed(user, device.concern_id):
        return None
    return device


@permission_required("conduct.record", "conduct.breaches")
def breach_detail(request, pk):
    breach = _breach(request, pk)
    notices = list(breach.notices.all())
    device = _device(breach, request.user)
    # The confiscation's notices too (confiscated, ready to collect), when there is one.
    about_device = (
        list(
            ParentNotice.objects.filter(confiscation_id=device.pk)
            .select_related("guardian")
            .order_by("created_at", "pk")
        )
        if device
        else []
    )
    return render(
        request,
        "conduct/breach_detail.html",
        {
            "object": breach,
            "confiscation": device,
            "notices": notices,
            "device_notices": about_device,
            "letters": [n for n in notices if n.channel == ParentNotice.Channel.LETTER],
            "can_see_confiscation": has_perm(
                request.user, "devices.confiscations", breach.school_id
            ),
        },
    )


@permission_required("conduct.record", "conduct.breaches")
def breach_letter(request, pk):
    """The letter to the parents or carers, to print when there is no email address on file
    (or as a copy): what the email would say."""
    breach = _breach(request, pk)
    notices = [n for n in breach.notices.all() if n.channel != ParentNotice.Channel.NONE]
    if not notices:
        raise Http404("No letter: this breach's step does not involve parents.")
    return _letter(request, notices[0], reverse("conduct:breach", args=[breach.pk]), "breach")


def _letter(request, notice: ParentNotice, back_url: str, back_to: str):
    """The one letter page: what the notice's email says, addressed to its parent or carer."""
    context = notice_context(notice)
    context.update(
        letter=f"emails/parent_{notice.kind}_letter.html",
        back_url=back_url,
        back_text=f"Back to the {back_to}",
    )
    return render(request, "conduct/notice_letter.html", context)


@permission_required("devices.confiscations")
def notice_letter(request, pk):
    """The letter of a notice about a confiscated phone (confiscated, ready to collect, or the
    breach it was taken for), for whoever may see the confiscation: the office prints it when
    there is no email address on file, or as a copy. A device that is evidence in a concern
    concealed from the user is not theirs to see (404), as on its page."""
    notice = (
        ParentNotice.objects.exclude(channel=ParentNotice.Channel.NONE)
        .select_related("school", "learner", "guardian", "breach", "confiscation")
        .get_for_user(request.user, "devices.confiscations", pk=pk, confiscation__isnull=False)
    )
    if is_concealed(request.user, notice.confiscation.concern_id):
        raise Http404
    back = reverse("devices:confiscation", args=[notice.confiscation_id])
    return _letter(request, notice, back, "confiscation")


@permission_required("conduct.ladder", where="active")
def ladder(request):
    """The school's sanctions ladder, set by the head or the leadership team."""
    school = request.school
    steps = services.ladder_for(school)
    initial = [
        {"consequence": s.consequence, "involves_parents": s.involves_parents} for s in steps
    ]
    formset = LadderFormSet(request.POST or None, initial=initial)
    if request.method == "POST" and formset.is_valid():
        rows = [
            (f.cleaned_data.get("consequence", ""), f.cleaned_data.get("involves_parents", False))
            for f in formset.forms
        ]
        try:
            services.ladder_save(school=school, steps=rows, by=request.user)
        except Refused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, "Ladder saved. It applies from the next breach recorded.")
            return redirect("conduct:ladder")
    return render(
        request,
        "conduct/ladder.html",
        {"formset": formset, "is_default": steps[0].pk is None},
    )
