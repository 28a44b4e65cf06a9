import time

import redis
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import ListView

from roper import drafts
from roper.middleware import SESSION_KEY
from roper.models import RetentionBatch
from roper.navigation import landing_for, nav_for
from roper.notifications import unread_changed
from roper.paging import OneOrder
from roper.permissions import member_of, require, schools_with
from roper.sessions import SEEN_AT


def home(request):
    """Role-aware home: office → desk, DSL → dashboard, governor → reports, others a page."""
    landing = landing_for(request.user, request.school)
    if landing:
        return redirect(landing)
    items = [item for item in nav_for(request.user, request.school) if item.url_name != "home"]
    return render(request, "roper/home.html", {"items": items})


@require_POST
def switch_school(request):
    try:
        school_id = int(request.POST.get("school", ""))
    except ValueError:
        school_id = None
    if school_id in member_of(request.user):
        request.session[SESSION_KEY] = school_id
    else:
        messages.error(request, "You do not belong to that school.")
    return redirect("home")


class NotificationListView(OneOrder, ListView):
    template_name = "roper/notification_list.html"
    paginate_by = 50

    def get_queryset(self):
        # A person's notifications are their own; no school permission is involved.
        # (With the recipient: the related manager sets it on each row, and a deferred one
        # would be a query a row.)
        return self.request.user.notifications.only(
            "recipient", "title", "url", "urgency", "created_at", "read_at"
        )


@require_POST
def notification_read(request, pk):
    """Mark one of my notifications read and follow its link."""
    note = get_object_or_404(request.user.notifications, pk=pk)
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return redirect(note.url or "notifications")


@require_POST
def notification_read_all(request):
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    unread_changed([request.user.pk])  # update() sends no post_save
    return redirect("notifications")


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Database and broker status. 200 when the database answers, 503 when not."""
    body = {"database": "ok", "broker": "not configured: tasks run in the web process"}
    status = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means the database is not answering
        body["database"] = "unavailable"
        status = 503
    if settings.REDIS_URL:
        try:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
            )
            client.ping()
            body["broker"] = "ok"
        except redis.RedisError:
            body["broker"] = "unavailable: reminders will catch up when it returns"
    body["status"] = "ok" if status == 200 else "unavailable"
    return JsonResponse(body, status=status)


def retention(request):
    """Records past their retention period, for the DSL to approve or keep (or the chair of
    governors, for a batch concealed from every DSL: roper/retention.py)."""
    from roper.retention import chaired_by, may_decide, rule_of

    approves = schools_with(request.user, "retention.approve")
    chairs = chaired_by(request.user)
    if not approves and not chairs:
        raise PermissionDenied
    recent = RetentionBatch.objects.filter(school_id__in=[*approves, *chairs]).select_related(
        "school"
    )[:50]
    # A batch of records concealed from this person is not listed to them (DESIGN.md).
    batches = [batch for batch in recent if may_decide(batch, request.user)]
    if not approves and not batches:
        raise PermissionDenied
    for batch in batches:
        rule = rule_of(batch)
        batch.rule_label = rule.label if rule else batch.rule
        batch.period = rule.period if rule else ""
        batch.lines = (
            rule.describe(batch.object_ids)
            if rule and batch.status == RetentionBatch.Status.PENDING
            else []
        )
        batch.items = list(zip(batch.object_ids, batch.lines, strict=False))
    return render(request, "roper/retention.html", {"batches": batches})


def _batch(request, pk) -> RetentionBatch:
    """A batch the user may decide; one concealed from them is not found (404), as one of
    another school; one they may not decide is refused (403)."""
    from roper.retention import batch_visible_to, may_decide

    batch = get_object_or_404(
        RetentionBatch.objects.filter(school_id__in=member_of(request.user)), pk=pk
    )
    if not batch_visible_to(batch, request.user):
        raise Http404
    if not may_decide(batch, request.user):
        raise PermissionDenied
    return batch


@require_POST
def retention_decide(request, pk):
    from roper.retention import retention_destroy, retention_keep

    batch = _batch(request, pk)
    try:
        if request.POST.get("action") == "destroy":
            count = retention_destroy(batch=batch, by=request.user)
            messages.success(request, f"{count} records destroyed. The destruction is recorded.")
        else:
            retention_keep(batch=batch, by=request.user, note=request.POST.get("note", ""))
            messages.success(request, "The records are kept; your reason is recorded.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("retention")


@require_POST
def retention_hold(request, pk):
    from roper.retention import legal_hold_place

    batch = _batch(request, pk)
    try:
        object_id = int(request.POST.get("object_id", ""))
        legal_hold_place(
            batch=batch, object_id=object_id, reason=request.POST.get("reason", ""), by=request.user
        )
        messages.success(request, "Legal hold placed: that record will not be destroyed.")
    except (ValueError, ValidationError) as error:
        text = (
            " ".join(error.messages) if isinstance(error, ValidationError) else "Choose a record."
        )
        messages.error(request, text)
    return redirect("retention")


@require_POST
def session_extend(request):
    """ "Stay signed in" in the inactivity warning: the session counts as active from now."""
    request.session[SEEN_AT] = time.time()
    return HttpResponse(status=204)


def _draft_form(request, name) -> str:
    """The URL name of the form `name`, once the user is known to be allowed to use it."""
    if name not in drafts.FORMS:
        raise Http404
    permission, url_name = drafts.FORMS[name]
    require(request.user, permission, request.school)
    return url_name


@require_POST
def draft_save(request, name):
    """The form's own script saves what it holds as the person types (files are not kept)."""
    _draft_form(request, name)
    draft = drafts.draft_save(
        user=request.user, school=request.school, name=name, data=request.POST
    )
    if draft is None:
        return JsonResponse({"saved": False, "message": "Too long to keep as a draft."}, status=413)
    at = timezone.localtime(draft.saved_at).strftime("%H:%M")
    return JsonResponse({"saved": True, "message": f"Draft saved at {at}."})


@require_POST
def draft_discard(request, name):
    url_name = _draft_form(request, name)
    drafts.draft_discard(user=request.user, school=request.school, name=name)
    messages.info(request, "Draft discarded: the form is empty again.")
    return redirect(url_name)
