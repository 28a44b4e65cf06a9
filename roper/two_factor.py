"""Two-factor sign-in: an authenticator app (TOTP) and one-time backup codes, with django-otp.

Required for anyone who holds a role in `TWO_FACTOR_ROLES` in any school: after the password
they enter a code, and a user with such a role and no device is taken to enrol before
anything else. Optional for everyone else (they may enrol from the Security page).

A sign-in through the school's identity provider (sso/) whose validated ID token says the
provider asked for a second factor counts as this step (`identity_provider_mfa_record`).
"""

import base64
import functools
import io
import operator
import secrets

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import backends, get_user_model
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST
from django_otp import device_classes, devices_for_user, match_token, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from roper.permissions import roles_by_school
from roper.roles import READS_SAFEGUARDING, Role
from roper.sessions import session_key_rotate

TWO_FACTOR_ROLES = READS_SAFEGUARDING | {Role.ADMIN}
BACKUP_CODES = 10
EXEMPT_URL_NAMES = {
    "two_factor_verify",
    "two_factor_setup",
    "logout",
    "login",
    "healthz",
    # The forgotten-password pages are public: they sign no one in.
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


#: Set only by sso.signals, from a validated ID token of a configured identity provider.
IDENTITY_PROVIDER_MFA = "roper_identity_provider_mfa"


def identity_provider_mfa_record(request, *, user, provider: str) -> None:
    """The identity provider asserted multi-factor sign-in for this session's user."""
    request.session[IDENTITY_PROVIDER_MFA] = {"user": user.pk, "provider": provider}


def identity_provider_mfa_forget(request) -> None:
    request.session.pop(IDENTITY_PROVIDER_MFA, None)


def verified_by_identity_provider(request) -> bool:
    mfa = request.session.get(IDENTITY_PROVIDER_MFA)
    return bool(mfa) and mfa.get("user") == request.user.pk


def two_factor_required(user) -> bool:
    return any(roles & TWO_FACTOR_ROLES for roles in roles_by_school(user).values())


#: The attribute of a user loaded by `ModelBackend` below: whether they had a confirmed
#: device when the request read them.
HAS_DEVICE = "otp_has_confirmed_device"


class ModelBackend(backends.ModelBackend):
    """Django's ModelBackend, except that the user of a session is read together with
    whether they have a confirmed device (an EXISTS per device model, in the same query).

    The two-factor middleware asks that question on every request of a user who has not
    entered a code, that is of everyone whose role does not need two-factor: django-otp asks
    it with one query per device model. Read with the user row instead, the answer is as fresh
    as before (read again at every request, never kept between requests or in the session),
    so a device confirmed, or removed by the admin, counts from the next request on."""

    def get_user(self, user_id):
        try:
            user = _users_with_device_flag().get(pk=user_id)
        except get_user_model().DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


@functools.cache
def _users_with_device_flag():
    """The users, each with whether they have a confirmed device: built once per process and
    cloned by each request's `get` (never evaluated itself). Built per request, with
    django-otp's device models looked up among every model, it was a quarter of the CPU of a
    check-in at the desk (py-spy on a gunicorn worker at the morning rush)."""
    confirmed = [
        Exists(model.objects.filter(user=OuterRef("pk"), confirmed=True))
        for model in device_classes()
    ]
    has_device = ExpressionWrapper(
        functools.reduce(operator.or_, confirmed), output_field=BooleanField()
    )
    return get_user_model()._default_manager.annotate(**{HAS_DEVICE: has_device})


def has_device(user) -> bool:
    """Whether the user has a confirmed device (django-otp's `user_has_device`), from the user
    row when `ModelBackend` read it with the answer."""
    known = getattr(user, HAS_DEVICE, None)
    return user_has_device(user) if known is None else known


def _next(request, default="home"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse(default)


class TwoFactorMiddleware:
    """After the password: a user with a device must enter a code; a user whose role needs
    two-factor and has no device must enrol. Nothing else opens until then."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not settings.TWO_FACTOR_ENFORCED or not user.is_authenticated or user.is_verified():
            return None
        if verified_by_identity_provider(request):
            return None
        match = request.resolver_match
        if match is None or match.url_name in EXEMPT_URL_NAMES:
            return None
        if request.path.startswith(settings.STATIC_URL):
            return None
        query = urlencode({"next": request.get_full_path()})
        if has_device(user):
            return redirect(f"{reverse('two_factor_verify')}?{query}")
        if two_factor_required(user):
            return redirect(f"{reverse('two_factor_setup')}?{query}")
        return None


def verify(request):
    """Enter the code from the authenticator app, or a backup code."""
    if request.user.is_verified():
        return redirect(_next(request))
    error = ""
    if request.method == "POST":
        token = "".join(request.POST.get("token", "").split()).lower()
        device = match_token(request.user, token) if token else None
        if device is not None:
            otp_login(request, device)
            session_key_rotate(request)
            return redirect(_next(request))
        error = "That code did not work. Check the time on your phone and try the newest code."
    return render(
        request,
        "registration/two_factor_verify.html",
        {"error": error, "next": _next(request)},
        status=400 if error else 200,
    )


def _qr_svg(url: str) -> str:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=5, xmldecl=False, svgns=True)
    return out.getvalue().decode()


def setup(request):
    """Enrol an authenticator app: scan, confirm with a code, get backup codes once."""
    user = request.user
    if user_has_device(user) and not request.user.is_verified():
        return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': _next(request)})}")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    error = ""
    if request.method == "POST":
        token = "".join(request.POST.get("token", "").split())
        if token.isdigit() and device.verify_token(token):
            with transaction.atomic():
                device.confirmed = True
                device.save()
                codes = _new_backup_codes(user)
            otp_login(request, device)
            session_key_rotate(request)
            return render(
                request,
                "registration/two_factor_codes.html",
                {"codes": codes, "next": _next(request)},
            )
        error = "That code did not match. Scan the code again and enter the newest 6 digits."
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "qr": _qr_svg(device.config_url),
            "secret": base64.b32encode(device.bin_key).decode(),
            "error": error,
            "next": _next(request),
            "required": two_factor_required(user),
        },
        status=400 if error else 200,
    )


def _new_backup_codes(user) -> list[str]:
    static, _ = StaticDevice.objects.get_or_create(
        user=user, name="Backup codes", defaults={"confirmed": True}
    )
    static.token_set.all().delete()
    codes = [secrets.token_hex(4) for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def security(request):
    """A person's own sign-in security: enrolled or not, backup codes left."""
    devices = list(devices_for_user(request.user))
    static = next((d for d in devices if isinstance(d, StaticDevice)), None)
    return render(
        request,
        "registration/security.html",
        {
            "has_app": any(isinstance(d, TOTPDevice) for d in devices),
            "codes_left": static.token_set.count() if static else 0,
            "required": two_factor_required(request.user),
        },
    )


@require_POST
def new_backup_codes(request):
    if not request.user.is_verified():
        messages.error(request, "Enter a code from your authenticator app first.")
        return redirect("security")
    return render(
        request,
        "registration/two_factor_codes.html",
        {"codes": _new_backup_codes(request.user), "next": reverse("security")},
    )
