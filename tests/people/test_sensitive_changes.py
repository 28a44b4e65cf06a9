"""The school's admin cannot take over the account of someone who reads safeguarding records:
a new password, email or two-factor reset for them waits for the approval a safeguarding role
needs (the headteacher's; the chair's for the head; nobody about themself). For everyone else
they take effect at once. Everything is audited (issue 14)."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from people.models import AuditEntry, RoleRequest
from roper.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
A = AuditEntry.Action

OLD, NEW = "old-horse-battery-staple", "admins-own-password-9"


@pytest.fixture(autouse=True)
def passwords(world, settings):
    settings.TWO_FACTOR_ENFORCED = False  # turned on where a test signs in
    for user in world.users.values():
        user.set_password(OLD)
        user.save()


def _set_password(client, user, password=NEW):
    return client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": password, "password2": password, "usable_password": "true"},
    )


def _set_email(client, user, email):
    return client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": email,
            "is_active": "on",
            "date_joined_0": "2026-09-01",
            "date_joined_1": "08:00:00",
        },
    )


def _reset_two_factor(client, user):
    return client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [user.pk], "confirmed": "yes"},
    )


def _decide(client, approver, request, decision="approve"):
    client.force_login(approver)
    return client.post(
        reverse("people:role_request_decide", args=[request.pk]), {"decision": decision}
    )


def _signs_in(client, user, password, settings):
    """Signs in with this password and reaches a page (or is sent to set up a new second
    factor, as after a reset); False when the password is refused or a code is asked."""
    client.logout()
    settings.TWO_FACTOR_ENFORCED = True
    client.post(reverse("login"), {"username": user.username, "password": password})
    response = client.get(reverse("notifications"))
    settings.TWO_FACTOR_ENFORCED = False
    if response.status_code == 200:
        return True
    return response.status_code == 302 and response.url.startswith(reverse("two_factor_setup"))


@pytest.fixture
def takeover(admin_client, head):
    """The admin sets the headteacher's password, email and resets their authenticator."""
    TOTPDevice.objects.create(user=head, name="phone", confirmed=True)
    assert _set_password(admin_client, head).status_code == 302
    assert _set_email(admin_client, head, "it-admin@example.org").status_code == 302
    assert _reset_two_factor(admin_client, head).status_code == 302
    return head


def test_the_admin_cannot_sign_in_as_the_head_until_the_chair_approves(
    client, takeover, chair, settings
):
    head = takeover
    head.refresh_from_db()
    assert head.check_password(OLD)
    assert head.email != "it-admin@example.org"
    assert TOTPDevice.objects.filter(user=head).exists()
    assert not _signs_in(client, head, NEW, settings)

    requests = RoleRequest.objects.filter(user=head, status="pending")
    assert sorted(requests.values_list("kind", flat=True)) == ["email", "password", "two_factor"]
    assert NEW not in requests.get(kind="password").new_password  # a hash, not the password
    for request in requests:
        assert _decide(client, chair, request).status_code == 302

    head.refresh_from_db()
    assert head.email == "it-admin@example.org"
    assert not TOTPDevice.objects.filter(user=head).exists()
    assert _signs_in(client, head, NEW, settings)
    assert not RoleRequest.objects.exclude(new_password="").exists()


def test_the_head_does_not_approve_changes_to_their_own_sign_in(client, takeover, settings):
    head = takeover
    client.force_login(head)
    assert "Nothing is waiting" in client.get(reverse("people:role_requests")).text
    for request in RoleRequest.objects.filter(user=head):
        assert _decide(client, head, request).status_code == 403
    assert not _signs_in(client, head, NEW, settings)


def test_a_dsls_new_password_waits_for_the_head_not_the_chair(
    client, admin_client, dsl, head, chair, settings
):
    _set_password(admin_client, dsl)
    request = RoleRequest.objects.get(user=dsl)
    assert _decide(client, chair, request).status_code == 403
    assert not _signs_in(client, dsl, NEW, settings)
    client.force_login(head)
    assert "A new password for" in client.get(reverse("people:role_requests")).text
    assert _decide(client, head, request).status_code == 302
    assert _signs_in(client, dsl, NEW, settings)


def test_a_declined_password_is_never_set(client, admin_client, dsl, head, settings):
    _set_password(admin_client, dsl)
    _decide(client, head, RoleRequest.objects.get(user=dsl), "decline")
    assert not _signs_in(client, dsl, NEW, settings)
    assert _signs_in(client, dsl, OLD, settings)


def test_someone_with_a_pending_safeguarding_role_waits_too(
    client, admin_client, teacher, settings
):
    membership = teacher.memberships.get()
    admin_client.post(
        reverse("admin:people_membership_change", args=[membership.pk]),
        {"roles": ["staff", "dsl"]},
    )
    _set_password(admin_client, teacher)
    assert RoleRequest.objects.filter(user=teacher, kind="password").exists()
    assert not _signs_in(client, teacher, NEW, settings)


def test_everyone_is_told_and_it_is_audited(admin_client, takeover, school_admin, chair):
    head = takeover
    entries = AuditEntry.objects.filter(subject=head).order_by("pk")
    requested = (A.CHANGE_REQUESTED, "headteacher", school_admin.pk)
    assert list(entries.values_list("action", "role", "actor")) == [requested] * 3
    assert "email to it-admin@example.org" in entries[1].detail
    assert Notification.objects.filter(recipient=head).count() == 3
    assert Notification.objects.filter(recipient=chair, title__contains="waiting").count() == 3


def test_for_anyone_else_the_change_is_made_at_once_and_audited(
    client, admin_client, teacher, school_admin, settings
):
    assert _set_password(admin_client, teacher).status_code == 302
    assert _set_email(admin_client, teacher, "new@example.org").status_code == 302
    assert not RoleRequest.objects.exists()
    teacher.refresh_from_db()
    assert teacher.email == "new@example.org"
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "subject", "actor")) == [
        (A.PASSWORD_SET, teacher.pk, school_admin.pk),
        (A.EMAIL_CHANGED, teacher.pk, school_admin.pk),
    ]
    assert _signs_in(client, teacher, NEW, settings)


def test_a_superuser_sets_the_heads_password_at_once(client, head, settings):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert _set_password(client, head).status_code == 302
    assert not RoleRequest.objects.exists()
    assert _signs_in(client, head, NEW, settings)


def test_the_waiting_password_hash_is_shown_to_nobody_in_the_admin(admin_client, dsl):
    _set_password(admin_client, dsl)
    request = RoleRequest.objects.get(user=dsl)
    page = admin_client.get(reverse("admin:people_rolerequest_change", args=[request.pk]))
    assert page.status_code == 200
    assert "New password" in page.text
    assert request.new_password.split("$")[-1] not in page.text
