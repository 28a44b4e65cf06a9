"""Sessions of two-factor users end for good, and lockout is by username and address
(issue 14)."""

import ast
import time
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.people.conftest import admin_client, school_admin  # noqa: F401 - fixtures
from tests.roper.test_settings import _run

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
HOME = "/accounts/login/?next=/notifications/"


def _code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


@pytest.fixture
def dsl_signed_in(client, world, settings):
    """The DSL, signed in through the real pages: password, then a code from their app."""
    settings.TWO_FACTOR_ENFORCED = True
    user = world.users["dsl"]
    user.set_password(PASSWORD)
    user.save()
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.post(reverse("login"), {"username": "dsl", "password": PASSWORD})
    with time_machine.travel(time.time() + 5):
        verified = client.post(reverse("two_factor_verify"), {"token": _code(device)})
    assert verified.status_code == 302
    assert client.get(reverse("notifications")).status_code == 200
    return user


# 6. Sessions end for good on deactivation and on removal of the last membership.


def test_a_deactivated_user_is_signed_out_and_stays_out_after_reactivation(client, dsl_signed_in):
    key = client.cookies["sessionid"].value
    dsl_signed_in.is_active = False
    dsl_signed_in.save()
    assert not Session.objects.filter(session_key=key).exists()
    dsl_signed_in.is_active = True
    dsl_signed_in.save()
    response = client.get(reverse("notifications"))  # the old cookie
    assert (response.status_code, response.url) == (302, HOME)


def test_removing_the_last_membership_signs_the_user_out_for_good(client, world, dsl_signed_in):
    membership = dsl_signed_in.memberships.get()
    roles = membership.roles
    membership.delete()
    dsl_signed_in.memberships.create(school=world.school, roles=roles)
    response = client.get(reverse("notifications"))
    assert (response.status_code, response.url) == (302, HOME)


# 7. Lockout by username and address, a clear way back in.


def _fail(client, username, address, times=5):
    for _ in range(times):
        client.post(
            reverse("login"), {"username": username, "password": "wrong"}, REMOTE_ADDR=address
        )


def _sign_in(client, username, address, **headers):
    return client.post(
        reverse("login"),
        {"username": username, "password": PASSWORD},
        REMOTE_ADDR=address,
        **headers,
    )


@pytest.fixture
def dsl(world):
    user = world.users["dsl"]
    user.set_password(PASSWORD)
    user.save()
    return user


def test_wrong_passwords_from_elsewhere_do_not_lock_the_dsl_out(client, dsl):
    _fail(client, "dsl", "203.0.113.66")  # someone outside the school
    assert _sign_in(client, "dsl", "198.51.100.10").status_code == 302  # the DSL, in school


def test_the_locked_out_page_says_when_it_ends_and_who_can_unlock(client, dsl):
    _fail(client, "dsl", "198.51.100.10")
    locked = _sign_in(client, "dsl", "198.51.100.10")
    assert locked.status_code == 429
    until = timezone.localtime() + timedelta(minutes=30)
    assert f"You can try again at {until:%H:%M}" in locked.text
    assert "IT admin can unlock it now" in locked.text


def test_behind_a_proxy_each_client_is_locked_out_on_its_own_address(client, dsl, settings):
    """PROXY_COUNT=1 (one proxy in front, appending to X-Forwarded-For): the lock is on the
    address the proxy saw; a forged X-Forwarded-For neither escapes it nor frames another."""
    result = _run(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(repr((s.AXES_IPWARE_META_PRECEDENCE_ORDER, s.AXES_IPWARE_PROXY_COUNT)))",
        ],
        PROXY_COUNT="1",
        SECRET_KEY="x" * 50,
        DJANGO_SETTINGS_MODULE="roper.settings",
    )
    order, count = ast.literal_eval(result.stdout.strip())
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = order
    settings.AXES_IPWARE_PROXY_COUNT = count
    proxy = "10.0.0.2"

    def guess(forwarded_for):
        return client.post(
            reverse("login"),
            {"username": "dsl", "password": "wrong"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    for _ in range(5):
        guess("203.0.113.66")  # the attacker, as the proxy sees them
    assert guess("203.0.113.66").status_code == 429
    # Forging an address in front (the proxy appends the real one) is not a way round:
    # every forged chain counts against one address, the proxy's.
    for n in range(5):
        guess(f"192.0.2.{n}, 203.0.113.66")
    assert guess("192.0.2.99, 203.0.113.66").status_code == 429
    # The DSL, at school, is not locked out.
    assert _sign_in(client, "dsl", proxy, HTTP_X_FORWARDED_FOR="198.51.100.10").status_code == 302


def test_the_admin_unlocks_their_schools_people_only(admin_client, world):  # noqa: F811
    browser = Client()
    for persona, address in (("teacher", "198.51.100.10"), ("outsider", "198.51.100.20")):
        world.users[persona].set_password(PASSWORD)
        world.users[persona].save()
        _fail(browser, persona, address)
        assert _sign_in(browser, persona, address).status_code == 429
    attempts = {a.username: a.pk for a in AccessAttempt.objects.all()}
    admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": list(attempts.values()), "post": "yes"},
    )
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["outsider"]
    assert _sign_in(browser, "teacher", "198.51.100.10").status_code == 302
    assert _sign_in(Client(), "outsider", "198.51.100.20").status_code == 429
