"""The school's admin decides the sign-ins that matched no account: link one to the person's
existing account (which keeps its roles: the link gives none), or decline it. Setting up a
provider is for whoever runs the server."""

from html import unescape

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from people.models import Membership, RoleRequest
from sso.models import IdentityProvider, SignInRequest
from sso.services import sign_in_request_link
from tests.factories import UserFactory
from tests.people.conftest import admin_client, school_admin  # noqa: F401 - fixtures
from tests.sso.conftest import TENANT
from tests.sso.test_sign_in import _sign_in

pytestmark = pytest.mark.django_db


def _change(request):
    return reverse("admin:sso_signinrequest_change", args=[request.pk])


@pytest.fixture
def pending(world, local_idp, entra):
    """A new member of staff signed in once: their Microsoft address is not the one Roper has."""
    local_idp.person("entra-sam", email="s.patel@anthonyroper.example", tid=TENANT, name="Sam")
    _sign_in(Client(), local_idp, entra, "entra-sam")
    return SignInRequest.objects.get(subject="entra-sam")


def test_the_admin_links_a_request_and_the_person_then_signs_in(
    admin_client,  # noqa: F811
    world,
    local_idp,
    entra,
    pending,
):
    teacher = world.users["teacher"]
    listing = admin_client.get(reverse("admin:sso_signinrequest_changelist"))
    assert "s.patel@anthonyroper.example" in listing.text

    response = admin_client.post(_change(pending), {"user": teacher.pk})

    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.user, pending.decided_by) == (
        "linked",
        teacher,
        world.users["admin"],
    )
    person = Client()
    _sign_in(person, local_idp, entra, "entra-sam")
    assert person.session[SESSION_KEY] == str(teacher.pk)
    assert teacher.memberships.get().roles == ["staff"]


def test_the_admin_cannot_link_a_request_to_an_account_that_reads_safeguarding_records(
    admin_client,  # noqa: F811
    world,
    pending,
):
    response = admin_client.post(_change(pending), {"user": world.users["dsl"].pk}, follow=True)

    assert "reads safeguarding records" in response.text
    pending.refresh_from_db()
    assert (pending.status, pending.user) == ("pending", None)
    assert not SocialAccount.objects.exists()


def test_the_admin_sees_no_request_of_another_school(
    admin_client,  # noqa: F811
    world,
    pending,
):
    pending.school = world.other_school
    pending.save()
    listing = admin_client.get(reverse("admin:sso_signinrequest_changelist"))
    assert "s.patel@anthonyroper.example" not in listing.text
    assert admin_client.get(_change(pending)).status_code == 404


def test_a_declined_person_is_refused(
    admin_client,  # noqa: F811
    local_idp,
    entra,
    pending,
):
    admin_client.post(
        reverse("admin:sso_signinrequest_changelist"),
        {"action": "decline", "_selected_action": [pending.pk]},
    )
    pending.refresh_from_db()
    assert pending.status == "declined"

    response = _sign_in(Client(), local_idp, entra, "entra-sam")
    assert response.status_code == 403 and "could not sign you in" in response.text


def test_only_a_superuser_sets_up_an_identity_provider(
    admin_client,  # noqa: F811
    client,
    world,
    django_user_model,
):
    assert admin_client.get(reverse("admin:sso_identityprovider_add")).status_code == 403

    root = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(root)
    response = client.post(
        reverse("admin:sso_identityprovider_add"),
        {
            "kind": "entra",
            "school": world.school.pk,
            "client_id": "app-id",
            "secret": "app-secret",
            "tenant_id": "",
            "enabled": "on",
        },
    )
    assert "Entra ID needs the school" in response.text
    assert not IdentityProvider.objects.exists()


def test_a_saved_provider_shows_the_redirect_uri_to_register(
    client, django_user_model, entra, settings
):
    settings.SITE_URL = "https://roper.school.example"
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    client.force_login(root)
    page = client.get(reverse("admin:sso_identityprovider_change", args=[entra.pk]))
    assert f"https://roper.school.example/accounts/sso/idp-{entra.pk}/callback/" in page.text


def test_the_admin_cannot_link_a_request_to_an_account_waiting_for_a_safeguarding_role(
    admin_client,  # noqa: F811
    client,
    world,
    local_idp,
    entra,
    pending,
):
    """Asked the DSL role for a teacher, the admin links an identity of their own to the
    teacher's account while the request waits: once the head approved, that identity would
    sign in as the DSL. A role asked for counts as one held, as for a new password."""
    teacher = world.users["teacher"]
    membership = teacher.memberships.get()
    admin_client.post(
        reverse("admin:people_membership_change", args=[membership.pk]),
        {"roles": ["staff", "dsl"]},
    )
    request = RoleRequest.objects.get(user=teacher, role="dsl", status="pending")

    response = admin_client.post(_change(pending), {"user": teacher.pk}, follow=True)

    assert "waiting for such a role" in response.text
    pending.refresh_from_db()
    assert (pending.status, pending.user) == ("pending", None)
    assert not SocialAccount.objects.exists()
    client.force_login(world.users["head"])
    client.post(reverse("people:role_request_decide", args=[request.pk]), {"decision": "approve"})
    person = Client()
    response = _sign_in(person, local_idp, entra, "entra-sam")
    assert response.status_code == 403 and SESSION_KEY not in person.session


def test_the_admin_cannot_link_a_request_to_a_trust_level_safeguarding_account(
    world,
    pending,
):
    """A role held for every school of the trust reads the school's records too."""
    trust_dsl = UserFactory(username="trust-dsl")
    Membership.objects.create(user=trust_dsl, trust=world.school.trust, roles=["dsl"])

    with pytest.raises(ValidationError, match="reads safeguarding records"):
        sign_in_request_link(sign_in_request=pending, user=trust_dsl, by=world.users["admin"])
    assert not SocialAccount.objects.exists()


def test_the_approver_of_a_role_sees_the_identity_the_admin_linked_before_asking_it(
    admin_client,  # noqa: F811
    world,
    pending,
    settings,
):
    """Linked while the teacher held no safeguarding role (allowed), the admin's identity
    would sign in as the DSL once the role is approved: the approver is told who linked it."""
    settings.TWO_FACTOR_ENFORCED = False
    teacher = world.users["teacher"]
    admin_client.post(_change(pending), {"user": teacher.pk})
    membership = teacher.memberships.get()
    admin_client.post(
        reverse("admin:people_membership_change", args=[membership.pk]),
        {"roles": ["staff", "dsl"]},
    )
    approver = Client()
    approver.force_login(world.users["head"])

    page = unescape(approver.get(reverse("people:role_requests")).text)

    today = date_format(timezone.localtime(), "j M Y")
    assert "Microsoft account s.patel@anthonyroper.example, linked by Admin Persona" in page
    assert (
        f"Admin Persona linked the Microsoft account s.patel@anthonyroper.example to this "
        f"account on {today}: ask Teacher whether it is their own."
    ) in page


def test_the_approver_sees_an_identity_matched_by_its_email_without_a_warning(
    admin_client,  # noqa: F811
    world,
    local_idp,
    entra,
    settings,
):
    settings.TWO_FACTOR_ENFORCED = False
    teacher = world.users["teacher"]
    teacher.email = "t.persona@anthonyroper.example"
    teacher.save()
    local_idp.person("entra-teacher", email=teacher.email, tid=TENANT)
    _sign_in(Client(), local_idp, entra, "entra-teacher")
    membership = teacher.memberships.get()
    admin_client.post(
        reverse("admin:people_membership_change", args=[membership.pk]),
        {"roles": ["staff", "dsl"]},
    )
    approver = Client()
    approver.force_login(world.users["head"])

    page = unescape(approver.get(reverse("people:role_requests")).text)

    assert (
        "Microsoft account t.persona@anthonyroper.example, matched by its email address at its "
        "first sign-in"
    ) in page
    assert 'role="alert"' not in page
