"""Session rules: idle and absolute timeouts, and ending every session of a user who is
deactivated or loses a membership. A new session key at sign-in is Django's own login(),
and another after the second factor (`session_key_rotate`); each key is recorded, so that
every session of a user can be found and ended."""

import time
from importlib import import_module

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from roper.models import UserSession
from roper.permissions import roles_by_school
from roper.roles import READS_SAFEGUARDING

LOGIN_AT = "roper_login_at"
SEEN_AT = "roper_seen_at"


def idle_limit(user) -> int:
    """Seconds of inactivity allowed: shorter for anyone who reads safeguarding records."""
    sensitive = any(roles & READS_SAFEGUARDING for roles in roles_by_school(user).values())
    minutes = settings.SAFEGUARDING_IDLE_MINUTES if sensitive else settings.IDLE_MINUTES
    return minutes * 60


DRAFT_KEPT = (
    " What you were sending was not sent: it is kept as your draft. Sign in, check it and"
    " send it again (attach any files again)."
)


def _keep_as_draft(request) -> bool:
    """A form that keeps drafts, sent just after the session went idle: keep what it held in
    the name of the person who wrote it, before the session ends (WCAG 2.2.1)."""
    from roper import drafts
    from roper.middleware import active_school

    if request.method != "POST":
        return False
    name = drafts.draft_name_of(request.path_info)
    school = active_school(request) if name else None
    if school is None:
        return False
    kept = drafts.draft_save(user=request.user, school=school, name=name, data=request.POST)
    return kept is not None


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = time.time()
            login_at = request.session.get(LOGIN_AT, now)
            seen_at = request.session.get(SEEN_AT, now)
            if now - login_at > settings.SESSION_ABSOLUTE_MINUTES * 60:
                return self._sign_out(request, "Your session ended: please sign in again.")
            if now - seen_at > idle_limit(user):
                message = "You were signed out after a while without activity."
                if _keep_as_draft(request):
                    message += DRAFT_KEPT
                return self._sign_out(request, message)
            # A page's own reading in the background (the desk's roster every minute) is not
            # activity: it would keep an unattended computer signed in.
            background = request.headers.get("X-Roper-Background") == "1"
            if now - seen_at > 30 and not background:  # write the session at most twice a minute
                request.session[SEEN_AT] = now
        return self.get_response(request)

    @staticmethod
    def _sign_out(request, message):
        logout(request)
        messages.info(request, message)
        if request.headers.get("X-Roper-Background") == "1":
            # A page's reading in the background: no sign-in page for it to follow (it would
            # show, and so spend, the message that the person's next page is to show).
            return HttpResponse(status=401)
        login = f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login
            return response
        return redirect(login)


@receiver(user_logged_in)
def _remember_session(sender, request, user, **kwargs):
    now = time.time()
    request.session[LOGIN_AT] = now
    request.session[SEEN_AT] = now
    request.session.save()  # make sure the key exists before it is recorded
    UserSession.objects.get_or_create(
        session_key=request.session.session_key, defaults={"user": user}
    )


def session_key_rotate(request) -> None:
    """A new session key (after the second factor: the session now carries more trust),
    recorded in place of the old one."""
    old = request.session.session_key
    request.session.cycle_key()
    UserSession.objects.filter(session_key=old).delete()
    UserSession.objects.get_or_create(
        session_key=request.session.session_key, defaults={"user": request.user}
    )


def sessions_end(*, user_id: int, keep: str | None = None) -> int:
    """End every session of a user (but `keep`, the key of the one that asked, when given):
    delete each from the session store. Returns how many there were."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    ended = UserSession.objects.filter(user_id=user_id).exclude(session_key=keep or "")
    keys = list(ended.values_list("session_key", flat=True))
    for key in keys:
        store.delete(key)
    UserSession.objects.filter(user_id=user_id, session_key__in=keys).delete()
    return len(keys)


@receiver(post_save, sender=get_user_model())
def _end_sessions_of_deactivated_user(sender, instance, **kwargs):
    if not instance.is_active:
        sessions_end(user_id=instance.pk)


@receiver(post_delete, sender=settings.ROPER_MEMBERSHIP_MODEL)
def _end_sessions_when_membership_removed(sender, instance, **kwargs):
    sessions_end(user_id=instance.user_id)


def locked_out(request, original_response=None, credentials=None):
    """django-axes' page for a locked account: when the lock ends (each further wrong
    password from the same address starts it again), and that the school's admin can unlock
    it sooner."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    return render(
        request,
        "registration/locked_out.html",
        {
            "until": timezone.localtime(timezone.now() + cool_off) if cool_off else None,
            "minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
