"""Two-factor for safeguarding roles, from the identity provider: accepted when its validated
ID token says it asked for a second factor (`amr`), otherwise Roper's own second step."""

import json
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from roper.two_factor import IDENTITY_PROVIDER_MFA
from sso.provider import id_token_verify
from tests.sso.conftest import TENANT
from tests.sso.test_sign_in import _sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def enforced(settings):
    settings.TWO_FACTOR_ENFORCED = True


@pytest.fixture
def dsl(world):
    user = world.users["dsl"]
    user.email = "dsl@anthonyroper.example"
    user.set_password(PASSWORD)
    user.save()
    return user


def test_a_dsl_whose_provider_asserted_mfa_has_no_second_step_in_roper(
    client, dsl, local_idp, entra
):
    local_idp.person("entra-dsl", email=dsl.email, tid=TENANT, amr=["pwd", "mfa"])

    response = _sign_in(client, local_idp, entra, "entra-dsl")

    assert client.session[SESSION_KEY] == str(dsl.pk)
    dashboard = client.get(response.url, follow=True)
    assert dashboard.request["PATH_INFO"] == reverse("incidents:dashboard")
    assert client.get(reverse("people:learners")).status_code == 200


def test_entras_passwordless_sign_in_counts_as_mfa(client, dsl, local_idp, entra):
    local_idp.person("entra-dsl", email=dsl.email, tid=TENANT, amr=["ngcmfa"])
    _sign_in(client, local_idp, entra, "entra-dsl")
    assert client.get(reverse("people:learners")).status_code == 200


@pytest.mark.parametrize("amr", [None, ["pwd"], "mfa"], ids=["no amr", "password", "not a list"])
def test_without_mfa_from_the_provider_roper_asks_for_its_own_second_step(
    client, dsl, local_idp, entra, amr
):
    claims = {"email": dsl.email, "tid": TENANT}
    if amr is not None:
        claims["amr"] = amr
    local_idp.person("entra-dsl", **claims)

    _sign_in(client, local_idp, entra, "entra-dsl")

    assert client.session[SESSION_KEY] == str(dsl.pk)
    response = client.get(reverse("people:learners"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_setup"))


def test_the_providers_mfa_counts_for_that_sign_in_only(client, dsl, local_idp, entra):
    local_idp.person("entra-dsl", email=dsl.email, tid=TENANT, amr=["mfa"])
    _sign_in(client, local_idp, entra, "entra-dsl")
    assert client.get(reverse("people:learners")).status_code == 200

    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "dsl", "password": PASSWORD})

    assert client.session[SESSION_KEY] == str(dsl.pk)
    assert IDENTITY_PROVIDER_MFA not in client.session
    assert client.get(reverse("people:learners")).status_code == 302


def test_the_providers_mfa_is_for_the_user_it_was_asserted_for(client, world, dsl):
    """Belt and braces: a session's mark names its user; for anyone else it counts for
    nothing."""
    client.force_login(dsl)
    session = client.session
    session[IDENTITY_PROVIDER_MFA] = {"user": world.users["head"].pk, "provider": "idp-1"}
    session.save()
    assert client.get(reverse("people:learners")).status_code == 302


def test_an_id_token_not_signed_by_the_providers_key_is_refused(local_idp):
    """amr is trusted only from a token the provider signed: one signed with any other key
    (here, an attacker's, with the same claims) is refused before any claim is read."""
    config = json.loads(
        __import__("requests").get(f"{local_idp.url}/.well-known/openid-configuration").text
    )
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {
        "iss": config["issuer"],
        "aud": "roper-anthony",
        "sub": "entra-dsl",
        "iat": now,
        "exp": now + 300,
        "amr": ["mfa"],
    }
    forged = jwt.encode(claims, forger, algorithm="RS256")
    unsigned = jwt.encode(claims, None, algorithm="none")

    for token in (forged, unsigned):
        with pytest.raises(OAuth2Error):
            id_token_verify(
                id_token=token,
                jwks_uri=config["jwks_uri"],
                issuer=config["issuer"],
                audience="roper-anthony",
            )


def test_an_id_token_for_another_client_is_refused(local_idp):
    """A token the provider issued to another application (another school's Roper, say)."""
    import requests

    config = requests.get(f"{local_idp.url}/.well-known/openid-configuration", timeout=5).json()
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode({"iss": config["issuer"], "aud": "x"}, forger, algorithm="RS256")
    with pytest.raises(OAuth2Error):
        id_token_verify(
            id_token=token, jwks_uri=config["jwks_uri"], issuer=config["issuer"], audience="y"
        )


def test_entras_mfa_authentication_context_counts_as_mfa(client, dsl, local_idp, entra):
    """Entra's v2.0 ID tokens carry no amr: the school names an authentication context whose
    Conditional Access policy requires MFA; Roper asks for it and Entra names it in `acrs`
    once met."""
    entra.mfa_auth_context = "c1"
    entra.save()
    local_idp.person("entra-dsl", email=dsl.email, tid=TENANT, acrs=["c1"])

    start = client.post(reverse("sso:login", args=[entra.provider_id]))
    assert "acrs" in parse_qs(urlsplit(start.url).query)["claims"][0]
    client.get(local_idp.authorize(start.url, "entra-dsl"))

    assert client.get(reverse("people:learners")).status_code == 200


def test_another_authentication_context_is_not_mfa(client, dsl, local_idp, entra):
    entra.mfa_auth_context = "c1"
    entra.save()
    local_idp.person("entra-dsl", email=dsl.email, tid=TENANT, acrs=["c2"])
    _sign_in(client, local_idp, entra, "entra-dsl")
    assert client.get(reverse("people:learners")).status_code == 302


def test_acrs_counts_for_nothing_without_the_schools_context(client, dsl, local_idp, entra):
    local_idp.person("entra-dsl", email=dsl.email, tid=TENANT, acrs=["c1"])
    _sign_in(client, local_idp, entra, "entra-dsl")
    assert client.get(reverse("people:learners")).status_code == 302


def test_mfa_is_read_from_this_sign_ins_token_not_an_earlier_one(client, dsl, local_idp, entra):
    local_idp.person("entra-dsl", email=dsl.email, tid=TENANT, amr=["mfa"])
    _sign_in(client, local_idp, entra, "entra-dsl")
    client.post(reverse("logout"))
    local_idp.person("entra-dsl", email=dsl.email, tid=TENANT, amr=["pwd"])

    _sign_in(client, local_idp, entra, "entra-dsl")

    assert client.session[SESSION_KEY] == str(dsl.pk)
    assert client.get(reverse("people:learners")).status_code == 302
