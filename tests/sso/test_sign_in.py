"""Signing in through the school's identity provider: a real OpenID Connect flow against the
local provider (tests/sso/conftest.py): discovery, the authorization code, the token exchange
over HTTP and the ID token's signature checked against the provider's keys."""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from sso.models import SignInRequest
from tests.sso.conftest import DOMAIN, TENANT

pytestmark = pytest.mark.django_db


def _sign_in(client, idp, provider, sub, *, next_url=""):
    """Press "Sign in with …", sign in at the provider, come back: Roper's last answer."""
    start = client.post(reverse("sso:login", args=[provider.provider_id]), {"next": next_url})
    assert start.status_code == 302, start.content
    assert start.url.startswith(idp.url)
    return client.get(idp.authorize(start.url, sub))


def test_a_member_of_staff_is_matched_by_the_tenants_email_and_signed_in(
    client, world, local_idp, entra
):
    office = world.users["office"]
    office.email = "jo.marsh@anthonyroper.example"
    office.save()
    local_idp.person("entra-office", email="Jo.Marsh@anthonyroper.example", tid=TENANT)

    response = _sign_in(client, local_idp, entra, "entra-office")

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(office.pk)
    assert client.get(response.url, follow=True).request["PATH_INFO"] == reverse("devices:desk")
    assert SocialAccount.objects.get(uid="entra-office").user == office
