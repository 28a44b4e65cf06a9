"""The people page of /admin/, as a curious school IT admin would try it (issue 14)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from people.models import AuditEntry, Membership
from roper.models import Notification
from roper.reminders import email_pending_notifications
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _change(user):
    return reverse("admin:auth_user_change", args=[user.pk])


def _everything(user, **extra):
    """A change-form POST with every field the stock user admin has, flags ticked."""
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [g.pk for g in Group.objects.all()],
        "user_permissions": list(Permission.objects.values_list("pk", flat=True)),
        "date_joined_0": "2026-09-01",
        "date_joined_1": "08:00:00",
        "last_login_0": "",
        "last_login_1": "",
        **extra,
    }


# 1. No superuser or staff flag, no groups or permissions, through the app.


def test_the_admin_cannot_tick_superuser_on_their_own_account(admin_client, school_admin):
    page = admin_client.get(_change(school_admin))
    assert page.status_code == 200
    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' not in page.text

    Group.objects.create(name="Everything").permissions.set(Permission.objects.all())
    school_admin.user_permissions.clear()
    response = admin_client.post(_change(school_admin), _everything(school_admin))
    assert response.status_code == 302, response.context["adminform"].form.errors
    school_admin.refresh_from_db()
    assert not school_admin.is_superuser
    assert not school_admin.groups.exists()
    assert not school_admin.user_permissions.exists()


def test_the_admin_cannot_make_a_teacher_a_superuser(admin_client, teacher):
    admin_client.post(_change(teacher), _everything(teacher))
    teacher.refresh_from_db()
    assert teacher.is_active
    assert not teacher.is_superuser and not teacher.is_staff


def test_groups_are_for_superusers_only(admin_client):
    assert admin_client.get(reverse("admin:auth_group_changelist")).status_code == 403
    assert admin_client.post(reverse("admin:auth_group_add"), {"name": "x"}).status_code == 403
    assert not Group.objects.exists()


def test_a_superuser_still_sets_flags_from_the_admin(client, world, teacher):
    root = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(root)
    response = client.post(_change(teacher), _everything(teacher, is_superuser=""))
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert teacher.is_staff and not teacher.is_superuser


# 2. Only the people of the admin's school.


@pytest.fixture
def elsewhere(world):
    """People the admin of school A must not manage: the other school's headteacher, a
    teacher of both schools, a trust-level member, and a superuser."""
    both = MembershipFactory(school=world.school, roles=["staff"], user__username="both").user
    MembershipFactory(school=world.other_school, user=both, roles=["staff"])
    trust = MembershipFactory(
        school=None, trust=world.school.trust, roles=["staff"], user__username="trusty"
    ).user
    root = MembershipFactory(
        school=world.school, roles=["staff"], user__username="root", user__is_superuser=True
    ).user
    return [world.users["outsider"], both, trust, root]


def test_the_list_shows_only_people_of_the_admins_school(admin_client, world, elsewhere):
    page = admin_client.get(reverse("admin:auth_user_changelist"))
    listed = {u.username for u in page.context["cl"].result_list}
    assert listed == {u.username for p, u in world.users.items() if p != "outsider"}
    for user in elsewhere:
        assert f">{user.username}<" not in page.text


@pytest.mark.parametrize("who", range(4))
def test_another_schools_people_are_not_found_to_change(admin_client, elsewhere, who):
    user = elsewhere[who]
    password = reverse("admin:auth_user_password_change", args=[user.pk])
    assert admin_client.get(_change(user)).status_code == 404
    assert admin_client.post(_change(user), _everything(user)).status_code == 404
    assert admin_client.get(password).status_code == 404
    new = {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"}
    assert admin_client.post(password, new).status_code == 404
    delete = reverse("admin:auth_user_delete", args=[user.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code in (403, 404)
    user.refresh_from_db()
    assert not user.check_password(PASSWORD)


def test_the_admin_sets_a_password_for_someone_in_their_school(admin_client, teacher):
    url = reverse("admin:auth_user_password_change", args=[teacher.pk])
    response = admin_client.post(
        url, {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert teacher.check_password(PASSWORD)


def test_the_admin_setting_their_own_password_stays_signed_in(admin_client, school_admin):
    url = reverse("admin:auth_user_password_change", args=[school_admin.pk])
    new = {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"}
    assert admin_client.post(url, new).status_code == 302
    school_admin.refresh_from_db()
    assert school_admin.check_password(PASSWORD)
    assert admin_client.get(reverse("admin:index")).status_code == 200


def test_the_admin_role_alone_opens_the_admin_with_no_flag_or_permission(client, world, teacher):
    """As the app and seed_demo make an admin: no staff flag, no model permission."""
    admin = world.users["admin"]
    assert not admin.is_staff and not admin.user_permissions.exists()
    client.force_login(admin)
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200
    url = reverse("admin:auth_user_password_change", args=[teacher.pk])
    new = {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"}
    assert client.post(url, new).status_code == 302
    teacher.refresh_from_db()
    assert teacher.check_password(PASSWORD)


def test_nobody_is_deleted_from_the_admin_only_deactivated(admin_client, teacher):
    response = admin_client.post(
        reverse("admin:auth_user_delete", args=[teacher.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Membership.objects.filter(user=teacher).exists()


def test_a_new_person_gets_a_membership_in_the_admins_school(admin_client, world):
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newstarter",
            "first_name": "New",
            "last_name": "Starter",
            "email": "new@school.example",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "school": world.school.pk,
            "roles": ["staff"],
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    membership = Membership.objects.get(user__username="newstarter")
    assert (membership.school, membership.roles) == (world.school, ["staff"])
    # The admin's own school only.
    other = admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "sneaky",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "school": world.other_school.pk,
            "roles": ["staff"],
        },
    )
    assert other.status_code == 200
    assert not Membership.objects.filter(user__username="sneaky").exists()


# 4. The admin can reset a person's two-factor sign-in (for someone who reads safeguarding
# records it waits for approval: tests/people/test_sensitive_changes.py).


@pytest.fixture
def enrolled(world):
    """The office worker of school A and the headteacher of school B, each with an app and
    backup codes."""
    for user in (world.users["office"], world.users["outsider"]):
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        static = StaticDevice.objects.create(user=user, name="codes", confirmed=True)
        StaticToken.objects.create(device=static, token="abcd1234")
    return world.users["office"], world.users["outsider"]


def _reset(client, *users, confirmed=False):
    data = {"action": "reset_two_factor", "_selected_action": [u.pk for u in users]}
    if confirmed:
        data["confirmed"] = "yes"
    return client.post(reverse("admin:auth_user_changelist"), data)


def test_the_admin_resets_two_factor_after_confirming(
    admin_client, enrolled, school_admin, django_capture_on_commit_callbacks
):
    office, _ = enrolled
    confirm = _reset(admin_client, office)
    assert confirm.status_code == 200
    assert "Reset the two-factor sign-in of these people?" in confirm.text
    assert office.username in confirm.text
    assert TOTPDevice.objects.filter(user=office).exists()  # nothing yet

    with django_capture_on_commit_callbacks(execute=True):
        done = _reset(admin_client, office, confirmed=True)
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=office).exists()
    assert not StaticDevice.objects.filter(user=office).exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TWO_FACTOR_RESET)
    assert (entry.actor, entry.subject) == (school_admin, office)
    note = Notification.objects.get(recipient=office)
    assert "two-factor sign-in was reset" in note.title
    email_pending_notifications(timezone.now())  # with no broker, the reminder run emails it
    assert [m.to for m in mail.outbox] == [[office.email]]


def test_the_admin_cannot_reset_another_schools_two_factor(admin_client, enrolled):
    _, outsider = enrolled
    _reset(admin_client, outsider, confirmed=True)
    assert TOTPDevice.objects.filter(user=outsider).exists()
    assert not AuditEntry.objects.exists()


def test_after_a_reset_the_lost_phone_is_not_asked_for(client, admin_client, enrolled, settings):
    office, _ = enrolled
    _reset(admin_client, office, confirmed=True)
    office.set_password(PASSWORD)
    office.save()
    client.logout()
    settings.TWO_FACTOR_ENFORCED = True
    client.post(reverse("login"), {"username": office.username, "password": PASSWORD})
    assert client.get(reverse("notifications")).status_code == 200


def test_a_signed_out_admin_opening_the_admin_signs_in_at_roper_and_lands_in_the_admin(
    client, world
):
    """Django's own admin form accepts only the staff flag, which no school admin has."""
    admin = world.users["admin"]
    admin.set_password(PASSWORD)
    admin.save()
    to_login = client.get(reverse("admin:index"), follow=True).redirect_chain
    assert to_login[-1][0].startswith("/accounts/login/?next=")
    signed_in = client.post(to_login[-1][0], {"username": "admin", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert client.get(signed_in.url).status_code == 200  # the admin's index
    assert signed_in.url == reverse("admin:index")


def test_the_admin_sign_in_page_refuses_a_signed_in_person_who_is_not_an_admin(client, world):
    client.force_login(world.users["head"])
    assert client.get(reverse("admin:login")).status_code == 403


def test_the_admin_sign_in_page_sends_a_signed_in_admin_on_but_never_off_site(client, world):
    client.force_login(world.users["admin"])
    page = client.get(reverse("admin:login"), {"next": "https://evil.example/"})
    assert page.status_code == 302 and page.url == reverse("admin:index")
