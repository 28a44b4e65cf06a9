import time

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture
def sign_in(client, world):
    def _sign_in(persona):
        user = world.users[persona]
        user.set_password(PASSWORD)
        user.save()
        response = client.post(reverse("login"), {"username": persona, "password": PASSWORD})
        assert response.status_code == 302, response.content
        return user

    return _sign_in


def test_signing_in_gives_a_new_session_key(client, world, sign_in):
    client.get(reverse("login"))
    client.cookies["sessionid"] = "attacker-chosen-key"
    sign_in("teacher")
    assert client.cookies["sessionid"].value != "attacker-chosen-key"


def test_a_safeguarding_role_is_signed_out_after_30_idle_minutes(client, world, sign_in):
    sign_in("dsl")
    with time_machine.travel(time.time() + 29 * 60, tick=False):
        assert client.get(reverse("home")).status_code in (200, 302)
        assert "login" not in client.get(reverse("notifications")).get("Location", "")
    with time_machine.travel(time.time() + (29 + 31) * 60, tick=False):
        response = client.get(reverse("notifications"))
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=%2Fnotifications%2F"


def test_a_teacher_keeps_their_session_for_longer(client, world, sign_in):
    sign_in("teacher")
    with time_machine.travel(time.time() + 45 * 60, tick=False):
        assert client.get(reverse("notifications")).status_code == 200


def test_a_session_ends_after_the_absolute_limit_however_active(client, world, sign_in, settings):
    sign_in("teacher")
    start = time.time()
    for minutes in range(60, 10 * 60, 60):  # active every hour
        with time_machine.travel(start + minutes * 60, tick=False):
            assert client.get(reverse("notifications")).status_code == 200
    with time_machine.travel(start + 10 * 60 * 60 + 60, tick=False):
        assert client.get(reverse("notifications")).status_code == 302


def test_deactivating_a_user_ends_all_their_sessions(client, world, sign_in):
    user = sign_in("teacher")
    assert Session.objects.count() == 1
    user.is_active = False
    user.save()
    assert Session.objects.count() == 0
    assert client.get(reverse("notifications")).status_code == 302


def test_removing_a_membership_ends_the_users_sessions(client, world, sign_in):
    user = sign_in("teacher")
    user.memberships.get().delete()
    assert client.get(reverse("notifications")).status_code == 302


def test_repeated_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(client, world):
    from axes.models import AccessAttempt

    user = world.users["teacher"]
    user.set_password(PASSWORD)
    user.save()
    for _ in range(5):
        client.post(reverse("login"), {"username": "teacher", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "teacher", "password": PASSWORD})
    assert locked.status_code == 429
    assert "locked" in locked.text

    AccessAttempt.objects.filter(username="teacher").delete()  # the admin's unlock
    assert (
        client.post(reverse("login"), {"username": "teacher", "password": PASSWORD}).status_code
        == 302
    )


def test_a_lockout_is_per_account_not_per_school_address(client, world):
    for _ in range(5):
        client.post(reverse("login"), {"username": "teacher", "password": "wrong"})
    office = world.users["office"]
    office.set_password(PASSWORD)
    office.save()
    # Same address (the school's), another account: not locked.
    assert (
        client.post(reverse("login"), {"username": "office", "password": PASSWORD}).status_code
        == 302
    )


def test_a_background_reading_at_the_idle_limit_signs_out_and_leaves_the_reason_to_the_next_page(
    client, world, sign_in
):
    """The desk's roster, read every minute, may be the first request after the idle limit:
    it is signed out, with no sign-in page for it to follow (fetch follows redirects, and
    that page showed, and spent, the reason the person's next page is to show)."""
    sign_in("office")
    with time_machine.travel(time.time() + 3 * 60 * 60, tick=False):
        read = client.get(reverse("devices:desk_roster"), HTTP_X_ROPER_BACKGROUND="1")
        assert read.status_code == 401
        page = client.get(reverse("devices:desk"), follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("login"))
    assert "signed out after a while" in page.content.decode()
