"""A person's own password: changing it when signed in, and a reset by email when it is
forgotten (issue 20). Both are Django's forms and token generator, with Roper's rules:

- After a change, every OTHER session of the person ends (the current one goes on under a new
  key); after a reset, every session ends. Either way an email says that the password changed
  (never the password), and the change is audited (`password_changed`: people records an
  AuditEntry in each school of the person, as for a password the IT admin sets).
- A reset never signs anyone in: the person signs in afterwards with the new password, and
  the second factor is asked for as before (a device they have, or enrolment their role needs).
  A reset also ends django-axes' lockout of the account, so the new password works at once.
- Asking for a reset answers the same whether or not the account exists: the request only
  counts the ask and queues a task; the worker looks the account up and sends the link. An
  inactive person, or one with no password sign-in, gets nothing.
- Rate limits (the shared cache): RESET_PER_ADDRESS asks per IP address and RESET_PER_NAME per
  username or email entered, in RESET_WINDOW (the page says to wait); and at most
  RESET_EMAILS_PER_ACCOUNT emails per account in that window, however it was asked for
  (silently: saying so would tell that the account exists).
- A link is single-use and time-limited: Django's token is bound to the password hash and the
  last sign-in, and lasts PASSWORD_RESET_TIMEOUT seconds. Links are built on SITE_URL, never on
  the request's Host.
"""

import hashlib
import logging

from celery import shared_task
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import HASH_SESSION_KEY, get_user_model, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from roper.emails import email_message
from roper.sessions import session_key_rotate, sessions_end

log = logging.getLogger(__name__)

#: Sent after a person's password changed by their own hand: `user`, and `how` ("changed"
#: when signed in, "reset" by an emailed link). people audits it.
password_changed = Signal()

RESET_WINDOW = 60 * 60  # seconds
RESET_PER_ADDRESS = 10
RESET_PER_NAME = 3
RESET_EMAILS_PER_ACCOUNT = 3
#: Wrong current passwords on the change form before it refuses for CHANGE_WINDOW: a session
#: left open must not become a way to guess the password (the sign-in page has axes for that).
CHANGE_WRONG_LIMIT = 5
CHANGE_WINDOW = 30 * 60


def _spend(key: str, limit: int, seconds: int) -> bool:
    """Count one use of `key`; True when this use goes over `limit` in the window."""
    cache.add(key, 0, seconds)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        used = 1
    return used > limit


def _queue(task, *args) -> None:
    """Queue after commit; a broker outage never fails the person's request (it is logged:
    they can ask again)."""

    def send():
        try:
            task.delay(*args)
        except Exception:  # noqa: BLE001 - any broker error
            log.exception("Could not enqueue %s", task.name)

    transaction.on_commit(send)


# -- Emails (sent by the worker, so that a slow mail server never holds the page) ----------------


def _reset_candidates(name: str):
    """Who may get a link for what was entered: active, with a usable password and an email,
    whose username or email is `name` (either, ignoring case)."""
    users = get_user_model()._default_manager.filter(
        Q(username__iexact=name) | Q(email__iexact=name), is_active=True
    )
    return [u for u in users.exclude(email="") if u.has_usable_password()]


def reset_emails_send(*, name: str) -> int:
    """Email a reset link to each account `name` names; returns how many were sent."""
    sent = 0
    for user in _reset_candidates(name):
        if _spend(f"password-reset:user:{user.pk}", RESET_EMAILS_PER_ACCOUNT, RESET_WINDOW):
            log.info("Password reset for user %s not emailed: too many in the hour", user.pk)
            continue
        path = reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        context = {
            "user": user,
            "link": f"{settings.SITE_URL}{path}",
            "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        }
        email_message(to=user.email, template="password_reset", context=context).send()
        log.info("Password reset link emailed to user %s", user.pk)
        sent += 1
    return sent


@shared_task(bind=True, max_retries=3)
def send_password_reset(self, name: str) -> int:
    try:
        return reset_emails_send(name=name)
    except OSError as exc:  # SMTP and socket errors; a new link is made on the retry
        if self.request.is_eager:
            log.warning("Password reset email failed: %s", exc)
            return 0
        raise self.retry(countdown=30 * 2**self.request.retries) from exc


@shared_task(bind=True, max_retries=3)
def send_password_changed(self, user_id: int, how: str) -> int:
    """Tell the person their password changed (and what to do if it was not them)."""
    user = get_user_model()._default_manager.filter(pk=user_id).exclude(email="").first()
    if user is None:
        return 0
    context = {"user": user, "how": how, "at": timezone.localtime(), "site": settings.SITE_URL}
    try:
        email_message(to=user.email, template="password_changed", context=context).send()
    except OSError as exc:
        if self.request.is_eager:
            log.warning("Password-changed email failed: %s", exc)
            return 0
        raise self.retry(countdown=30 * 2**self.request.retries) from exc
    return 1


def _after_change(user, how: str) -> None:
    password_changed.send(sender=get_user_model(), user=user, how=how)
    _queue(send_password_changed, user.pk, how)


# -- Change (signed in) -----------------------------------------------------------------------


class ChangeForm(PasswordChangeForm):
    """Django's form (current password, the new one twice, AUTH_PASSWORD_VALIDATORS), which
    refuses after CHANGE_WRONG_LIMIT wrong current passwords in CHANGE_WINDOW."""

    error_messages = {
        **PasswordChangeForm.error_messages,
        "too_many": "Too many wrong passwords. Wait 30 minutes, or sign out and use "
        "“Forgotten your password?” on the sign-in page.",
    }

    def clean_old_password(self):
        key = f"password-change:wrong:{self.user.pk}"
        if (cache.get(key) or 0) >= CHANGE_WRONG_LIMIT:
            raise forms.ValidationError(self.error_messages["too_many"], code="too_many")
        try:
            return super().clean_old_password()
        except forms.ValidationError:
            _spend(key, CHANGE_WRONG_LIMIT, CHANGE_WINDOW)
            raise


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = ChangeForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("security")

    def get(self, request, *args, **kwargs):
        if not request.user.has_usable_password():
            messages.info(request, "Your account does not sign in with a password.")
            return redirect("security")
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        request = self.request
        with transaction.atomic():
            user = form.save()
            # Every other session ends; this one goes on, under a new key and the new hash.
            sessions_end(user_id=user.pk, keep=request.session.session_key)
            request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session_key_rotate(request)
            _after_change(user, "changed")
        messages.success(request, "Your password is changed. You are signed out everywhere else.")
        return super(auth_views.PasswordChangeView, self).form_valid(form)


# -- Reset by email (signed out) ----------------------------------------------------------------


class ResetForm(forms.Form):
    name = forms.CharField(
        label="Username or email address",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )


TOO_MANY = (
    "Too many reset requests from here or for this account. Wait an hour and try again, or "
    "ask your school's IT admin."
)


class _LinkMinutes:
    """The pages say how long a link works."""

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        }


class PasswordResetView(_LinkMinutes, auth_views.PasswordResetView):
    form_class = ResetForm
    template_name = "registration/password_reset.html"

    def form_valid(self, form):
        from axes.helpers import get_client_ip_address

        name = form.cleaned_data["name"].strip().lower()
        address = get_client_ip_address(self.request) or "unknown"
        named = hashlib.sha256(name.encode()).hexdigest()[:32]  # a safe key for any text
        # Both counted, whichever refuses: a refused ask still counts against the other limit.
        by_address = _spend(f"password-reset:ip:{address}", RESET_PER_ADDRESS, RESET_WINDOW)
        by_name = _spend(f"password-reset:name:{named}", RESET_PER_NAME, RESET_WINDOW)
        if by_address or by_name:
            form.add_error(None, TOO_MANY)
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        _queue(send_password_reset, name)
        return super(auth_views.PasswordResetView, self).form_valid(form)


class PasswordResetDoneView(_LinkMinutes, auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(_LinkMinutes, auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        # Deactivated since the email was sent: the link does nothing.
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        from axes.utils import reset as axes_reset

        request = self.request
        request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        if request.user.pk == self.user.pk:
            logout(request)  # the link opened where they were signed in: that session ends too
        with transaction.atomic():
            user = form.save()
            # Every session ends (one left open somewhere is what a reset is often for); no
            # session is started: the person signs in, with their second factor.
            sessions_end(user_id=user.pk)
            _after_change(user, "reset")
        axes_reset(username=user.get_username())
        return super(auth_views.PasswordResetConfirmView, self).form_valid(form)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
