import time

import pytest
import time_machine
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.test_access_matrix import CASES

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def enforced(settings):
    settings.TWO_FACTOR_ENFORCED = True


@pytest.fixture
def sign_in(client, world):
    def _sign_in(persona):
        user = world.users[persona]
        user.set_password(PASSWORD)
        user.save()
        client.post(reverse("login"), {"username": persona, "password": PASSWORD})
        return user

    return _sign_in


def _code(device):
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def test_a_dsl_without_a_device_must_enrol_before_anything_else(client, sign_in):
    user = sign_in("dsl")
    response = client.get(reverse("people:learners"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_setup"))

    page = client.get(response.url)
    assert "<svg" in page.text and "Set up two-factor sign-in" in page.text
    device = TOTPDevice.objects.get(user=user, confirmed=False)

    wrong = client.post(response.url, {"token": "000000"})
    assert wrong.status_code == 400 and "did not match" in wrong.text

    with time_machine.travel(time.time() + 5):  # a wrong code throttles the next for a second
        codes_page = client.post(response.url, {"token": _code(device), "next": "/learners/"})
    assert "Your backup codes" in codes_page.text
    assert StaticToken.objects.filter(device__user=user).count() == 10
    assert client.get(reverse("people:learners")).status_code == 200


def test_a_teacher_may_go_without_two_factor(client, sign_in):
    sign_in("teacher")
    assert client.get(reverse("people:learners")).status_code == 200
    assert "Two-factor sign-in is <strong>off</strong>" in client.get(reverse("security")).text


def test_a_user_with_a_device_enters_a_code_after_the_password(client, sign_in, world):
    user = world.users["head"]
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    sign_in("head")
    response = client.get(reverse("people:learners"))
    assert response.url.startswith(reverse("two_factor_verify"))

    assert client.post(response.url, {"token": "123456"}).status_code == 400
    with time_machine.travel(time.time() + 5):
        done = client.post(response.url, {"token": _code(device), "next": "/learners/"})
    assert done.url == "/learners/"
    assert client.get("/learners/").status_code == 200


def test_a_backup_code_works_once(client, sign_in, world):
    user = world.users["osl"]
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="codes", confirmed=True)
    StaticToken.objects.create(device=static, token="abcd1234")

    sign_in("osl")
    assert client.post(reverse("two_factor_verify"), {"token": "ABCD 1234"}).status_code == 302
    client.post(reverse("logout"))
    sign_in("osl")
    assert client.post(reverse("two_factor_verify"), {"token": "abcd1234"}).status_code == 400


def test_the_next_address_cannot_send_you_to_another_site(client, sign_in, world):
    device = TOTPDevice.objects.create(user=world.users["head"], name="p", confirmed=True)
    sign_in("head")
    response = client.post(
        reverse("two_factor_verify"), {"token": _code(device), "next": "https://evil.example/"}
    )
    assert response.url == reverse("home")


TWO_FACTOR_PAGES = {"two_factor_verify", "two_factor_setup", "logout"}


@pytest.mark.parametrize(
    "key",
    sorted(
        k for k, c in CASES.items() if c.login_required and k.split("#")[0] not in TWO_FACTOR_PAGES
    ),
)
def test_every_page_waits_for_enrolment_of_a_role_that_needs_two_factor(key, world, client):
    case = CASES[key]
    user = world.users["dsl"]
    client.force_login(user)
    response = getattr(client, case.method)(case.build(world, user), case.data)
    assert response.status_code == 302, key
    assert response.url.startswith(reverse("two_factor_setup"))


# Whether a user has a device is read with the user row (roper.two_factor.ModelBackend): a
# user without one costs no query of its own on each request, and the answer is read again
# at every request, never kept, so a device confirmed or removed counts at once.


def _device_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    sqls = [q["sql"] for q in queries.captured_queries]
    alone = [s for s in sqls if '"otp_' in s and 'FROM "auth_user"' not in s]
    return len(sqls), alone


def test_a_user_without_a_device_costs_no_device_query_on_each_request(client, sign_in):
    user = sign_in("office")
    assert client.session[BACKEND_SESSION_KEY] == "roper.two_factor.ModelBackend"
    desk = reverse("devices:desk")
    client.get(desk)
    with_backend, alone = _device_queries(client, desk)
    assert alone == []

    # django-otp alone asks with one query per device model.
    assert with_backend < _queries_asking_django_otp(client, user, desk)

    # A session signed in before this backend (it named Django's own) signs in again.
    session = client.session
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session.save()
    response = client.get(desk)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def _queries_asking_django_otp(client, user, url):
    from django.test import override_settings

    backend = "django.contrib.auth.backends.ModelBackend"
    with override_settings(AUTHENTICATION_BACKENDS=[backend]):
        client.force_login(user, backend=backend)
        client.get(url)
        count, alone = _device_queries(client, url)
    assert len(alone) == 2
    client.force_login(user)
    return count


def test_a_device_confirmed_in_another_session_asks_for_a_code_at_once(client, sign_in, world):
    sign_in("office")  # say, someone who learnt the password, before the owner enrolled
    assert client.get(reverse("devices:desk")).status_code == 200
    TOTPDevice.objects.create(user=world.users["office"], name="phone", confirmed=True)
    response = client.get(reverse("devices:desk"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_verify"))


def test_a_device_not_yet_confirmed_asks_for_nothing(client, sign_in, world):
    TOTPDevice.objects.create(user=world.users["office"], name="phone", confirmed=False)
    sign_in("office")
    assert client.get(reverse("devices:desk")).status_code == 200


def test_a_device_removed_by_the_admin_sends_a_dsl_to_enrol_at_once(client, sign_in, world):
    device = TOTPDevice.objects.create(user=world.users["dsl"], name="phone", confirmed=True)
    sign_in("dsl")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get(reverse("people:learners")).status_code == 200
    device.delete()
    response = client.get(reverse("people:learners"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_setup"))
