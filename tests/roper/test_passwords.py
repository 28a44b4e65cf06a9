"""A person's own password: change when signed in, reset by email when forgotten
(roper/passwords.py)."""

import re
import time
import uuid

import pytest
import time_machine
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from people.models import AuditEntry
from roper import passwords

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW = "a-new-long-passphrase-7"


@pytest.fixture(autouse=True)
def counters(monkeypatch):
    """Each test counts its rate limits afresh (the shared cache outlives a test)."""
    monkeypatch.setattr(passwords, "cache", LocMemCache(f"passwords-{uuid.uuid4()}", {}))


@pytest.fixture
def with_password(world):
    def _set(persona, **fields):
        user = world.users[persona]
        user.set_password(PASSWORD)
        for name, value in fields.items():
            setattr(user, name, value)
        user.save()
        return user

    return _set


def _sign_in(persona, password=PASSWORD) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": persona, "password": password})
    assert response.status_code == 302, response.content
    return client


def _signed_in(client) -> bool:
    return client.get(reverse("notifications")).status_code == 200


def _ask(client, name, capture):
    with capture(execute=True):
        return client.post(reverse("password_reset"), {"name": name})


def _link(message) -> str:
    return re.search(r"https?://\S+/accounts/password/reset/\S+/", message.body).group(0)


# -- Change -------------------------------------------------------------------------------------


def test_a_wrong_current_password_is_refused(with_password, mailoutbox):
    user = with_password("teacher")
    client = _sign_in("teacher")
    page = client.get(reverse("security"))
    assert reverse("password_change") in page.text

    response = client.post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 200
    assert "old password was entered incorrectly" in response.text
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and not mailoutbox


def test_an_account_without_a_password_has_none_to_change(world, as_user):
    user = world.users["teacher"]
    user.set_unusable_password()
    user.save()
    response = as_user(user).get(reverse("password_change"))
    assert response.url == reverse("security")


def test_the_validators_apply_and_too_many_wrong_passwords_stop_the_form(
    with_password, monkeypatch
):
    with_password("teacher")
    client = _sign_in("teacher")
    weak = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert "This password is too common" in weak.text

    monkeypatch.setattr(passwords, "CHANGE_WRONG_LIMIT", 1)
    form = {"old_password": "not-it", "new_password1": NEW, "new_password2": NEW}
    client.post(reverse("password_change"), form)
    refused = client.post(reverse("password_change"), {**form, "old_password": PASSWORD})
    assert "Too many wrong passwords" in refused.text


def test_a_change_ends_the_other_sessions_keeps_this_one_and_emails(
    with_password, mailoutbox, django_capture_on_commit_callbacks
):
    user = with_password("teacher")
    elsewhere = _sign_in("teacher")
    here = _sign_in("teacher")
    key_before = here.cookies["sessionid"].value

    form = {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    form["_once"] = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=True):
        response = here.post(reverse("password_change"), form)
        again = here.post(reverse("password_change"), form)  # Enter pressed twice
    assert response.url == again.url == reverse("security")
    assert here.cookies["sessionid"].value != key_before  # rotated
    assert _signed_in(here)
    assert not _signed_in(elsewhere)

    [email] = mailoutbox
    assert email.to == [user.email] and "password" in email.subject.lower()
    assert NEW not in email.body and NEW not in email.alternatives[0][0]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD_SET, subject=user)
    assert entry.actor == user and entry.detail == "changed by themselves"


# -- Reset by email -----------------------------------------------------------------------------


def test_asking_answers_the_same_and_only_a_usable_active_account_gets_an_email(
    with_password, world, mailoutbox, django_capture_on_commit_callbacks
):
    teacher = with_password("teacher")
    with_password("office", is_active=False)
    no_password = world.users["leadership"]
    no_password.set_unusable_password()
    no_password.save()
    client = Client()
    assert "Forgotten your password?" in client.get(reverse("login")).text

    answers = [
        _ask(client, name, django_capture_on_commit_callbacks)
        for name in (teacher.email.upper(), "nobody@nowhere.example", "office", "leadership")
    ]
    assert {(a.status_code, a.url) for a in answers} == {(302, reverse("password_reset_done"))}
    assert [m.to for m in mailoutbox] == [[teacher.email]]
    assert "works once" in mailoutbox[0].body


def test_a_link_works_once_ends_every_session_and_the_lockout(
    with_password, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.AXES_FAILURE_LIMIT = 2
    user = with_password("teacher")
    signed_in = _sign_in("teacher")
    guesser = Client()
    for _ in range(2):
        guesser.post(reverse("login"), {"username": "teacher", "password": "guess"})
    locked = guesser.post(reverse("login"), {"username": "teacher", "password": PASSWORD})
    assert locked.status_code == 429

    _ask(Client(), "teacher", django_capture_on_commit_callbacks)
    link = _link(mailoutbox[0])
    client = Client()
    form_url = client.get(link).url
    assert "set-password" in form_url and "set-password" not in link  # the token leaves the URL
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(form_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.url == reverse("password_reset_complete")
    assert not _signed_in(client)  # a reset signs no one in

    user.refresh_from_db()
    assert user.check_password(NEW)
    assert not _signed_in(signed_in)
    assert "This link does not work" in Client().get(link).text  # once only
    assert mailoutbox[-1].subject == "Your Roper password was changed"
    assert NEW not in mailoutbox[-1].body
    entry = AuditEntry.objects.get(action=AuditEntry.Action.PASSWORD_SET, subject=user)
    assert entry.detail == "reset by an emailed link"
    _sign_in("teacher", NEW)  # the lockout ended with the reset


def test_an_expired_link_is_refused(with_password, mailoutbox, django_capture_on_commit_callbacks):
    with_password("teacher")
    _ask(Client(), "teacher", django_capture_on_commit_callbacks)
    with time_machine.travel(time.time() + 61 * 60):
        page = Client().get(_link(mailoutbox[0]))
    assert page.status_code == 200 and "This link does not work" in page.text


def test_asking_is_rate_limited_per_name_and_per_address(
    with_password, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    with_password("teacher")
    client = Client()
    answers = [_ask(client, "teacher", django_capture_on_commit_callbacks) for _ in range(4)]
    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert "Too many reset requests" in answers[-1].text
    assert len(mailoutbox) == passwords.RESET_PER_NAME

    monkeypatch.setattr(passwords, "RESET_PER_ADDRESS", 4)
    # Another name, the same address: its fifth ask, over four.
    refused = _ask(client, "someone-else", django_capture_on_commit_callbacks)
    assert refused.status_code == 429


def test_a_reset_never_skips_the_second_factor(
    with_password, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TWO_FACTOR_ENFORCED = True
    user = with_password("head")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    _ask(Client(), "head", django_capture_on_commit_callbacks)
    client = Client()
    form_url = client.get(_link(mailoutbox[0])).url
    with django_capture_on_commit_callbacks(execute=True):
        client.post(form_url, {"new_password1": NEW, "new_password2": NEW})

    after = _sign_in("head", NEW)
    response = after.get(reverse("people:learners"))
    assert response.url.startswith(reverse("two_factor_verify"))
