"""The two public steps of single sign-on: leave for the identity provider, come back from it.
Public like the sign-in page (they sign in only whom the provider vouched for, as
`sso.adapter` decides); everything else is django-allauth's OAuth2 flow."""

import logging

import requests
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from sso.provider import Adapter

log = logging.getLogger(__name__)

UNREACHABLE = (
    "Your school's sign-in service did not answer. Try again in a minute, or sign in with "
    "your Roper username and password if you have one."
)


@login_not_required
@require_POST
def login(request, provider_id):
    """The "Sign in with …" button (a POST, with the CSRF token): off to the provider."""
    try:
        return OAuth2LoginView.adapter_view(Adapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
    except (requests.RequestException, OAuth2Error, ValueError, KeyError):
        # Discovery failed: the provider is down, or answered something else.
        log.warning("Identity provider %s did not answer discovery", provider_id, exc_info=True)
        return render(request, "sso/refused.html", {"message": UNREACHABLE}, status=503)


@login_not_required
@require_GET
def callback(request, provider_id):
    """Back from the provider with a code: exchanged for tokens, the ID token checked."""
    try:
        return OAuth2CallbackView.adapter_view(Adapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
    except (requests.RequestException, OAuth2Error, ValueError, KeyError):
        log.warning("Identity provider %s did not answer discovery", provider_id, exc_info=True)
        return render(request, "sso/refused.html", {"message": UNREACHABLE}, status=503)
