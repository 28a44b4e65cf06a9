"""Two-factor from the identity provider: a sign-in whose validated ID token asserted MFA
counts as the second step (roper.two_factor); any other sign-in in the session clears it."""

from allauth.account.signals import user_logged_in as allauth_logged_in
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from roper.two_factor import identity_provider_mfa_forget, identity_provider_mfa_record


@receiver(user_logged_in)
def _forget_provider_mfa(sender, request, user, **kwargs):
    # Django's signal comes first, for every sign-in (a password's too).
    identity_provider_mfa_forget(request)


@receiver(allauth_logged_in)
def _record_provider_mfa(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is not None and getattr(sociallogin, "roper_mfa", False):
        identity_provider_mfa_record(request, user=user, provider=sociallogin.account.provider)
