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


def _email(user, address):
    user.email = address
    user.save()
    return user


def test_google_signs_in_a_verified_address_of_the_schools_domain(client, world, local_idp, google):
    teacher = _email(world.users["teacher"], f"sam.patel@{DOMAIN}")
    local_idp.person(
        "g-teacher", email=f"sam.patel@{DOMAIN}", email_verified=True, hd=DOMAIN, name="Sam"
    )

    response = _sign_in(client, local_idp, google, "g-teacher")

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(teacher.pk)


def test_an_unverified_address_signs_no_one_in_and_waits_for_the_admin(
    client, world, local_idp, google
):
    _email(world.users["teacher"], f"sam.patel@{DOMAIN}")
    local_idp.person("g-unverified", email=f"sam.patel@{DOMAIN}", email_verified=False, hd=DOMAIN)

    response = _sign_in(client, local_idp, google, "g-unverified")

    assert response.status_code == 403
    assert "awaits approval" in response.text
    assert SESSION_KEY not in client.session
    assert not SocialAccount.objects.exists()
    assert SignInRequest.objects.get(subject="g-unverified").email_verified is False


def test_an_unknown_person_is_told_politely_to_await_approval_and_nothing_is_created(
    client, world, local_idp, entra, django_user_model
):
    users = django_user_model.objects.count()
    local_idp.person("entra-new", email="new.starter@anthonyroper.example", tid=TENANT, name="Ann")

    response = _sign_in(client, local_idp, entra, "entra-new")
    again = _sign_in(client, local_idp, entra, "entra-new")

    assert response.status_code == again.status_code == 403
    assert "Your account awaits approval" in response.text
    assert "IT admin has been asked" in response.text
    assert SESSION_KEY not in client.session
    assert django_user_model.objects.count() == users
    assert not SocialAccount.objects.exists()
    pending = SignInRequest.objects.get()  # once, however often they try
    assert (pending.name, pending.status, pending.school) == ("Ann", "pending", world.school)
    # The school's admin is told, once.
    [note] = world.users["admin"].notifications.all()
    assert "awaits approval" in note.title
    assert note.url == reverse("admin:sso_signinrequest_change", args=[pending.pk])


def test_an_account_of_another_tenant_is_refused(client, world, local_idp, entra):
    _email(world.users["office"], "jo.marsh@anthonyroper.example")
    local_idp.person("entra-elsewhere", email="jo.marsh@anthonyroper.example", tid="another-tenant")

    response = _sign_in(client, local_idp, entra, "entra-elsewhere")

    assert response.status_code == 403
    assert "belongs to another organisation" in response.text
    assert SESSION_KEY not in client.session
    assert not SignInRequest.objects.exists()


def test_a_google_account_of_another_domain_is_refused(client, world, local_idp, google):
    _email(world.users["teacher"], "sam.patel@gmail.example")
    local_idp.person("g-personal", email="sam.patel@gmail.example", email_verified=True)

    response = _sign_in(client, local_idp, google, "g-personal")

    assert response.status_code == 403
    assert "not one of your school" in response.text
    assert SESSION_KEY not in client.session


def test_an_account_of_another_school_is_never_matched(client, world, local_idp, entra):
    _email(world.users["outsider"], "head@other.example")
    local_idp.person("entra-outsider", email="head@other.example", tid=TENANT)

    response = _sign_in(client, local_idp, entra, "entra-outsider")

    assert response.status_code == 403 and "awaits approval" in response.text
    assert SESSION_KEY not in client.session


def test_signing_in_gives_no_role(client, world, local_idp, entra):
    teacher = _email(world.users["teacher"], "sam.patel@anthonyroper.example")
    before = list(teacher.memberships.values_list("school_id", "roles"))
    local_idp.person("entra-teacher", email="sam.patel@anthonyroper.example", tid=TENANT)

    _sign_in(client, local_idp, entra, "entra-teacher")

    assert client.session[SESSION_KEY] == str(teacher.pk)
    assert list(teacher.memberships.values_list("school_id", "roles")) == before


def test_a_linked_account_that_was_deactivated_is_refused(client, world, local_idp, entra):
    office = _email(world.users["office"], "jo.marsh@anthonyroper.example")
    local_idp.person("entra-office", email="jo.marsh@anthonyroper.example", tid=TENANT)
    _sign_in(client, local_idp, entra, "entra-office")
    client.post(reverse("logout"))
    office.is_active = False
    office.save()

    response = _sign_in(client, local_idp, entra, "entra-office")

    assert response.status_code == 403
    assert SESSION_KEY not in client.session


def test_the_sign_in_page_shows_a_button_only_for_a_configured_provider(client, world, local_idp):
    page = client.get(reverse("login"))
    assert "Sign in with" not in page.text.replace("Sign in to Roper", "")
    assert "form-action 'self';" in page["Content-Security-Policy"]

    from sso.models import IdentityProvider

    provider = IdentityProvider.objects.create(
        kind="entra", school=world.school, client_id="c", secret="s", tenant_id=TENANT
    )
    page = client.get(reverse("login"))
    assert "Sign in with Microsoft" in page.text
    assert reverse("sso:login", args=[provider.provider_id]) in page.text
    assert "Sign in with Google" not in page.text
    # The button's answer is a redirect to Microsoft, which the page's policy must allow.
    policy = page["Content-Security-Policy"]
    assert "form-action 'self' https://login.microsoftonline.com;" in policy

    provider.enabled = False
    provider.save()
    assert "Sign in with Microsoft" not in client.get(reverse("login")).text


def test_the_sign_in_button_needs_a_post(client, entra):
    assert client.get(reverse("sso:login", args=[entra.provider_id])).status_code == 405


def test_an_unknown_or_disabled_provider_is_not_found(client, entra):
    assert client.post(reverse("sso:login", args=["idp-999"])).status_code == 404
    entra.enabled = False
    entra.save()
    assert client.post(reverse("sso:login", args=[entra.provider_id])).status_code == 404


def test_coming_back_without_a_code_is_refused_politely(client, entra):
    response = client.get(reverse("sso:callback", args=[entra.provider_id]))
    assert response.status_code == 400
    assert "could not sign you in" in response.text


def test_a_trusts_provider_signs_in_staff_of_any_of_its_schools(client, world, local_idp):
    from sso.models import IdentityProvider

    trust_wide = IdentityProvider.objects.create(
        kind="entra",
        trust=world.school.trust,
        client_id="roper-trust",
        secret="s",
        tenant_id=TENANT,
        issuer=local_idp.url,
    )
    outsider = _email(world.users["outsider"], "priya@trust.example")  # at the other school
    local_idp.person("entra-priya", email="priya@trust.example", tid=TENANT)

    _sign_in(client, local_idp, trust_wide, "entra-priya")

    assert client.session[SESSION_KEY] == str(outsider.pk)


def test_the_page_asked_for_is_where_the_person_lands(client, world, local_idp, entra):
    _email(world.users["teacher"], "sam.patel@anthonyroper.example")
    local_idp.person("entra-teacher", email="sam.patel@anthonyroper.example", tid=TENANT)

    response = _sign_in(client, local_idp, entra, "entra-teacher", next_url="/learners/")
    assert response.url == "/learners/"

    client.post(reverse("logout"))
    response = _sign_in(
        client, local_idp, entra, "entra-teacher", next_url="https://elsewhere.example/"
    )
    assert response.url == reverse("home")


def test_a_provider_that_does_not_answer_is_said_so_politely(client, entra):
    entra.issuer = "http://127.0.0.1:9"  # nothing listens there
    entra.save()

    response = client.post(reverse("sso:login", args=[entra.provider_id]))

    assert response.status_code == 503
    assert "did not answer" in response.text
    assert SESSION_KEY not in client.session


def test_a_provider_that_stops_answering_before_the_person_comes_back(
    client, world, local_idp, entra
):
    local_idp.person("entra-office", email="jo@anthonyroper.example", tid=TENANT)
    start = client.post(reverse("sso:login", args=[entra.provider_id]))
    back = local_idp.authorize(start.url, "entra-office")
    entra.issuer = "http://127.0.0.1:9"
    entra.save()

    response = client.get(back)

    assert response.status_code == 503
    assert SESSION_KEY not in client.session
