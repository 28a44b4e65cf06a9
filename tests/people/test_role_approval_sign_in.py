"""Whoever approves a safeguarding role sees how the account it is for signs in, and who
changed each way in: the admin may have set the password, changed the email or reset the
two-factor of a teacher before asking the DSL role for them (no approval was needed then),
and would sign in as the DSL once it is approved. Approving ends the account's open
sessions."""

from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from people.models import Membership, RoleRequest
from tests.people.test_sensitive_changes import (
    NEW,
    _reset_two_factor,
    _set_email,
    _set_password,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.TWO_FACTOR_ENFORCED = False


def _ask_dsl(admin_client, user):
    membership = Membership.objects.get(user=user, school__isnull=False)
    admin_client.post(
        reverse("admin:people_membership_change", args=[membership.pk]),
        {"roles": ["staff", "dsl"]},
    )
    return RoleRequest.objects.get(user=user, role="dsl", status="pending")


def _approval_page(approver) -> str:
    client = Client()
    client.force_login(approver)
    return unescape(client.get(reverse("people:role_requests")).text)


def _warnings(page: str) -> list[str]:
    return [chunk.split("</div>")[0].strip() for chunk in page.split('role="alert">')[1:]]


def _today() -> str:
    return date_format(timezone.localtime(), "j M Y")


def test_the_approver_is_warned_that_the_admin_set_the_password_before_asking_the_role(
    admin_client, teacher, head
):
    _set_password(admin_client, teacher)
    _ask_dsl(admin_client, teacher)

    page = _approval_page(head)

    assert "Designated Safeguarding Lead for Teacher Persona" in page
    assert f"set by Admin Persona on {_today()}" in page
    assert _warnings(page) == [
        f"Admin Persona set this account's password on {_today()}: ask Teacher whether they "
        "have chosen their own since."
    ]


def test_the_approver_is_warned_of_an_email_and_a_two_factor_reset_by_the_admin(
    admin_client, teacher, head
):
    _set_email(admin_client, teacher, "it-admin@example.org")
    _reset_two_factor(admin_client, teacher)
    _ask_dsl(admin_client, teacher)

    page = _approval_page(head)

    assert "it-admin@example.org (a forgotten password's link goes there); changed by" in page
    assert _warnings(page) == [
        f"Admin Persona changed this account's email on {_today()}: ask Teacher whether "
        "it-admin@example.org is their own address.",
        f"Admin Persona reset this account's two-factor sign-in on {_today()}: ask Teacher "
        "whether they set up its authenticator app themselves since.",
    ]


def test_no_warning_once_the_person_has_chosen_their_own_password(admin_client, teacher, head):
    _set_password(admin_client, teacher)
    teacher.refresh_from_db()  # the password the admin set
    person = Client()
    person.force_login(teacher)
    person.post(
        reverse("password_change"),
        {
            "old_password": NEW,
            "new_password1": "teachers-own-choice-4",
            "new_password2": "teachers-own-choice-4",
        },
    )
    _ask_dsl(admin_client, teacher)

    page = _approval_page(head)

    assert f"set by themselves on {_today()}" in page
    assert _warnings(page) == []


def test_a_change_made_long_ago_is_shown_without_a_warning(admin_client, teacher, head):
    _set_password(admin_client, teacher)
    set_on = _today()
    _ask_dsl(admin_client, teacher)
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        page = _approval_page(head)

    assert f"set by Admin Persona on {set_on}" in page
    assert _warnings(page) == []


def test_nothing_is_told_of_a_request_that_is_not_for_a_role(admin_client, dsl, head):
    """A new password for someone who already is the DSL says what it is on its own."""
    _set_password(admin_client, dsl)
    page = _approval_page(head)
    assert "A new password for Dsl Persona" in page
    assert "How this account signs in" not in page


def test_approving_a_safeguarding_role_ends_the_persons_open_sessions(admin_client, teacher, head):
    """A session opened before the approval (on a shared computer, by whoever signed in)
    does not become the DSL's unseen: it ends, and the person signs in again."""
    request = _ask_dsl(admin_client, teacher)
    before = Client()
    before.force_login(teacher)
    assert before.get(reverse("notifications")).status_code == 200
    approver = Client()
    approver.force_login(head)

    approver.post(reverse("people:role_request_decide", args=[request.pk]), {"decision": "approve"})

    assert Membership.objects.get(user=teacher, school__isnull=False).roles == ["staff", "dsl"]
    response = before.get(reverse("notifications"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert approver.get(reverse("people:role_requests")).status_code == 200
