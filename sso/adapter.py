"""django-allauth, told Roper's rules: the providers are the IdentityProvider rows; nobody
signs up; a sign-in is matched, refused or left for the admin (`sso.services`)."""

import json

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.shortcuts import render

from sso import services
from sso.models import IdentityProvider, SignInRequest

#: The backend a signed-in user is read back with (two_factor.ModelBackend reads, with the
#: user, whether they have a second-factor device).
BACKEND = "roper.two_factor.ModelBackend"


def social_app(provider: IdentityProvider) -> SocialApp:
    """The provider as allauth's (unsaved) SocialApp."""
    auth_params = {}
    if provider.kind == IdentityProvider.Kind.ENTRA and provider.mfa_auth_context:
        # Entra's v2.0 ID tokens carry no `amr`: the school's Conditional Access policy for
        # this authentication context requires MFA, and the token names the context (`acrs`)
        # only when it was met.
        wanted = {"acrs": {"essential": True, "value": provider.mfa_auth_context}}
        auth_params["claims"] = json.dumps({"id_token": wanted})
    return SocialApp(
        provider="roper_oidc",
        provider_id=provider.provider_id,
        name=provider.button_label,
        client_id=provider.client_id,
        secret=provider.secret,
        settings={
            "server_url": provider.issuer_url(),
            "fetch_userinfo": False,  # every claim from the signed ID token
            "oauth_pkce_enabled": True,
            "auth_params": auth_params,
        },
    )


def provider_of(provider_id: str) -> IdentityProvider | None:
    prefix, _, pk = provider_id.partition("-")
    if prefix != "idp" or not pk.isdigit():
        return None
    return IdentityProvider.objects.filter(pk=int(pk), enabled=True).first()


def _page(request, template, message="", status=200):
    return ImmediateHttpResponse(render(request, template, {"message": message}, status=status))


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        if provider:
            found = provider_of(provider)
            providers = [found] if found else []
        else:
            providers = IdentityProvider.objects.filter(enabled=True)
        apps = [social_app(p) for p in providers]
        return [a for a in apps if client_id is None or a.client_id == client_id]

    def is_open_for_signup(self, request, sociallogin):
        return False

    def pre_social_login(self, request, sociallogin):
        provider = provider_of(sociallogin.account.provider)
        claims = (sociallogin.account.extra_data or {}).get("id_token") or {}
        if provider is None or not claims.get("sub") or not provider.school_ids():
            raise _page(request, "sso/refused.html", status=403)
        try:
            services.claims_check(provider=provider, claims=claims)
        except services.Refused as refused:
            raise _page(request, "sso/refused.html", str(refused), status=403) from None
        if sociallogin.is_existing:
            user = sociallogin.user
            if not services.account_may_sign_in(provider=provider, user=user):
                raise _page(request, "sso/refused.html", status=403)
        else:
            user = None
            if services.email_vouched(provider=provider, claims=claims):
                user = services.account_match(provider=provider, email=claims["email"])
            if user is None:
                pending = services.sign_in_request_record(provider=provider, claims=claims)
                if pending.status == SignInRequest.Status.DECLINED:
                    raise _page(request, "sso/refused.html", status=403)
                raise _page(request, "sso/awaiting_approval.html", status=403)
            sociallogin.user = user
            sociallogin.account.user = user
            sociallogin.account.save()
        user.backend = BACKEND
        # Read by sso.signals once signed in: only from this validated ID token.
        sociallogin.roper_mfa = services.mfa_asserted(provider=provider, claims=claims)

    def on_authentication_error(self, request, provider, error=None, exception=None, **kwargs):
        raise _page(request, "sso/refused.html", status=400)
