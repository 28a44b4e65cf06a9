"""Granting a safeguarding role needs the headteacher's approval (the chair's, for the
headteacher role); every grant request, decision and removal is in an audit trail nobody
edits (issue 14)."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from people.models import AuditEntry, Membership, RoleRequest
from roper.errors import Refused
from roper.permissions import forget, has_perm
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
A = AuditEntry.Action


def _membership(user):
    return Membership.objects.get(user=user, school__isnull=False)


def _set_roles(client, membership, roles):
    return client.post(
        reverse("admin:people_membership_change", args=[membership.pk]), {"roles": roles}
    )


def _can_triage(user):
    forget(user)
    return has_perm(user, "incidents.triage", _membership(user).school)


def _actions():
    return list(AuditEntry.objects.order_by("pk").values_list("action", "role"))


def test_the_admin_cannot_give_themself_the_dsl_role(admin_client, school_admin):
    membership = _membership(school_admin)
    response = _set_roles(admin_client, membership, ["admin", "dsl"])
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.roles == ["admin"]
    assert not _can_triage(school_admin)
    request = RoleRequest.objects.get()
    assert (request.user, request.role, request.status) == (school_admin, "dsl", "pending")
    assert _actions() == [(A.ROLE_REQUESTED, "dsl")]


def test_a_role_that_reads_nothing_sensitive_is_given_at_once(admin_client, teacher):
    _set_roles(admin_client, _membership(teacher), ["staff", "office"])
    assert _membership(teacher).roles == ["office", "staff"]
    assert not RoleRequest.objects.exists()
    assert _actions() == [(A.ROLE_GRANTED, "office")]


def test_a_new_person_with_only_a_safeguarding_role_waits_for_approval(admin_client, world):
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newdeputy",
            "usable_password": "false",
            "school": world.school.pk,
            "roles": ["deputy_dsl"],
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    newcomer = Membership.objects.get(user__username="newdeputy").user
    assert _membership(newcomer).roles == []
    assert not _can_triage(newcomer)
    assert (RoleRequest.objects.get().user, RoleRequest.objects.get().role) == (
        newcomer,
        "deputy_dsl",
    )


def test_a_trust_membership_cannot_be_made_through_the_admin(admin_client, world, school_admin):
    """The admin of school A reaching school B's concerns through a trust-level DSL role."""
    admin_client.post(
        reverse("admin:people_membership_add"),
        {"user": school_admin.pk, "trust": world.school.trust.pk, "roles": ["dsl"]},
    )
    assert not Membership.objects.filter(trust__isnull=False).exists()
    forget(school_admin)
    assert not has_perm(school_admin, "incidents.triage", world.other_school)


def test_a_trust_membership_cannot_be_changed_through_the_admin(admin_client, world):
    trust_member = MembershipFactory(school=None, trust=world.school.trust, roles=["staff"])
    url = reverse("admin:people_membership_change", args=[trust_member.pk])
    assert admin_client.post(url, {"roles": ["dsl"]}).status_code == 404
    trust_member.refresh_from_db()
    assert trust_member.roles == ["staff"]


def test_a_membership_cannot_be_moved_to_another_school(admin_client, world, school_admin):
    """A trust's IT admin (the admin role in both schools) moving the headteacher's
    membership (headteacher, DSL) to the other school: those roles there, unapproved."""
    MembershipFactory(school=world.other_school, user=school_admin, roles=["admin"])
    head = _membership(world.users["head"])
    admin_client.post(
        reverse("admin:people_membership_change", args=[head.pk]),
        {"user": head.user_id, "school": world.other_school.pk, "roles": head.roles},
    )
    head.refresh_from_db()
    assert head.school == world.school
    forget(head.user)
    assert not has_perm(head.user, "incidents.triage", world.other_school)


def test_reverting_a_membership_to_an_old_version_is_for_superusers(
    admin_client, world, school_admin
):
    """django-simple-history saves a 'revert' POST for anyone who may view the record."""
    membership = _membership(school_admin)
    membership.roles = ["admin", "dsl"]
    membership.save()
    old = membership.history.order_by("history_id").last()
    membership.roles = ["admin"]
    membership.save()
    url = reverse("admin:people_membership_simple_history", args=[membership.pk, old.history_id])
    assert admin_client.post(url, {"roles": ["admin", "dsl"]}).status_code == 403
    assert _membership(school_admin).roles == ["admin"]


@pytest.fixture
def dsl_request(admin_client, teacher):
    _set_roles(admin_client, _membership(teacher), ["staff", "dsl"])
    return RoleRequest.objects.get(role="dsl")


def _decide(client, request, decision):
    return client.post(
        reverse("people:role_request_decide", args=[request.pk]), {"decision": decision}
    )


def test_the_headteacher_approves_and_only_then_the_role_is_given(
    client, dsl_request, teacher, head
):
    assert not _can_triage(teacher)
    client.force_login(head)
    page = client.get(reverse("people:role_requests"))
    assert "Designated Safeguarding Lead for" in page.text
    assert _decide(client, dsl_request, "approve").status_code == 302
    assert _membership(teacher).roles == ["staff", "dsl"]
    assert _can_triage(teacher)
    assert _actions() == [(A.ROLE_REQUESTED, "dsl"), (A.ROLE_APPROVED, "dsl")]
    assert AuditEntry.objects.get(action=A.ROLE_APPROVED).actor == head


def test_the_page_lives_under_people_and_approvers_find_it_in_the_navigation(
    client, dsl_request, head, chair, teacher
):
    assert reverse("people:role_requests") == "/people/role-requests/"
    client.force_login(head)
    nav = client.get(reverse("home"), follow=True).text.split('id="main-nav"', 1)[1]
    assert 'href="/people/role-requests/"' in nav
    assert "To approve (1)" in nav
    # The chair approves only the headteacher role: nothing waits for them.
    client.force_login(chair)
    nav = client.get(reverse("home"), follow=True).text.split('id="main-nav"', 1)[1]
    assert "To approve</a>" in nav
    client.force_login(teacher)
    assert "/people/role-requests/" not in client.get(reverse("home"), follow=True).text


def test_a_declined_request_changes_nothing(client, dsl_request, teacher, head):
    client.force_login(head)
    _decide(client, dsl_request, "decline")
    assert _membership(teacher).roles == ["staff"]
    assert _actions() == [(A.ROLE_REQUESTED, "dsl"), (A.ROLE_DECLINED, "dsl")]
    # Decided once: a second decision changes nothing.
    _decide(client, dsl_request, "approve")
    assert _membership(teacher).roles == ["staff"]


def test_the_headteacher_role_is_approved_by_the_chair_not_the_head(
    client, admin_client, deputy_dsl, head, chair
):
    _set_roles(admin_client, _membership(deputy_dsl), ["deputy_dsl", "staff", "headteacher"])
    request = RoleRequest.objects.get()
    client.force_login(head)
    assert _decide(client, request, "approve").status_code == 403
    client.force_login(chair)
    assert _decide(client, request, "approve").status_code == 302
    assert "headteacher" in _membership(deputy_dsl).roles


def test_nobody_approves_a_request_about_themself(client, admin_client, head):
    """The headteacher, asked a DSL role for themself, cannot approve it."""
    _set_roles(admin_client, _membership(head), ["headteacher", "dsl"])
    request = RoleRequest.objects.get()
    client.force_login(head)
    assert "Nothing is waiting" in client.get(reverse("people:role_requests")).text
    assert _decide(client, request, "approve").status_code == 403
    assert _membership(head).roles == ["headteacher"]


def test_removing_a_role_needs_no_approval_and_is_audited(admin_client, dsl):
    _set_roles(admin_client, _membership(dsl), ["staff"])
    assert _membership(dsl).roles == ["staff"]
    assert _actions() == [(A.ROLE_REMOVED, "dsl")]


def test_removing_a_membership_is_audited(admin_client, deputy_dsl):
    membership = _membership(deputy_dsl)
    url = reverse("admin:people_membership_delete", args=[membership.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert _actions() == [(A.ROLE_REMOVED, "staff"), (A.ROLE_REMOVED, "deputy_dsl")]


def test_the_audit_trail_is_read_only_in_the_admin_even_for_a_superuser(
    client, admin_client, dsl_request
):
    entry = AuditEntry.objects.get()
    change = reverse("admin:people_auditentry_change", args=[entry.pk])
    delete = reverse("admin:people_auditentry_delete", args=[entry.pk])
    assert admin_client.get(reverse("admin:people_auditentry_changelist")).status_code == 200
    assert 'name="_save"' not in admin_client.get(change).text
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.post(change, {"role": "x"}).status_code == 403
    assert AuditEntry.objects.count() == 1


def test_the_audit_trail_is_append_only_on_the_model(dsl_request):
    entry = AuditEntry.objects.get()
    entry.role = "headteacher"
    with pytest.raises(Refused):
        entry.save()
    with pytest.raises(Refused):
        entry.delete()
    with pytest.raises(Refused):
        AuditEntry.objects.all().update(role="x")
    with pytest.raises(Refused):
        AuditEntry.objects.all().delete()


@pytest.mark.postgres
def test_the_database_refuses_to_change_the_audit_trail(dsl_request):
    for sql in ("UPDATE people_auditentry SET role = 'x'", "DELETE FROM people_auditentry"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEntry.objects.get().role == "dsl"
