"""Every URL in the URL conf × every persona → the expected status (see tests/access.py)."""

import importlib
import pkgutil
from http.cookies import SimpleCookie

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

import tests
from people.models import Learner, School
from tests.conftest import ALL_PERSONAS, World


def _collect_cases():
    cases = {}
    for module in pkgutil.iter_modules(tests.__path__):
        if not module.ispkg:
            continue
        try:
            access = importlib.import_module(f"tests.{module.name}.access")
        except ModuleNotFoundError:
            continue
        overlap = cases.keys() & access.ACCESS.keys()
        assert not overlap, f"cases listed twice: {overlap}"
        cases.update(access.ACCESS)
    return cases


CASES = _collect_cases()


def _url_names(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            if ns == "admin":
                continue  # the admin site is one case: admin:index
            yield from _url_names(pattern.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_has_an_access_case():
    names = set(_url_names())
    covered = {key.split("#")[0] for key in CASES}
    missing = sorted(names - covered)
    assert not missing, f"URLs with no entry in any tests/<app>/access.py: {missing}"
    stale = sorted(covered - names - {"admin:index"})
    assert not stale, f"access cases for URLs that no longer exist: {stale}"


def test_every_case_lists_every_persona():
    for key, case in CASES.items():
        assert set(case.expect) == set(ALL_PERSONAS), key


class _Undo(Exception):
    """Raised to roll a persona's request back, so the next persona meets the same world."""


def _fresh(world: World) -> World:
    """The world's rows read again (three queries): what one case's builders or requests did to
    the Python objects (a cached role, a changed field) does not reach the next case."""
    users = get_user_model().objects.in_bulk([u.pk for u in world.users.values()])
    schools = School.objects.in_bulk([world.school.pk, world.other_school.pk])
    learners = Learner.objects.in_bulk([world.learner.pk, world.other_learner.pk])
    return World(
        school=schools[world.school.pk],
        other_school=schools[world.other_school.pk],
        learner=learners[world.learner.pk],
        other_learner=learners[world.other_learner.pk],
        users={name: users[u.pk] for name, u in world.users.items()},
    )


def _request(case, world, user, client):
    """(url, response) of the case's request by `user` (None: signed out) through `client`,
    signed in as that user; the records built and whatever the request changed are rolled
    back, and the client's cookies put back (a sign-out or a new session key is undone too)."""
    cookies = SimpleCookie(client.cookies)
    try:
        with transaction.atomic():
            url = case.build(world, world.users[user] if user else world.users["head"])
            response = getattr(client, case.method)(url, case.data)
            raise _Undo
    except _Undo:
        pass
    client.cookies = cookies
    return url, response


#: The cases, sorted, in chunks: one test per chunk, with one world and each persona signed in
#: once (signing in is a third of a request's cost), which keeps the chunks spread over the
#: test workers.
CHUNK = 8
_KEYS = sorted(CASES)
CHUNKS = [_KEYS[n : n + CHUNK] for n in range(0, len(_KEYS), CHUNK)]


# Each case's request by each persona, and signed out, is a subtest; each runs in a savepoint
# rolled back afterwards, so none sees what another's request changed.
@pytest.mark.parametrize("keys", CHUNKS, ids=[f"{keys[0]}..{keys[-1]}" for keys in CHUNKS])
def test_access(keys, world, subtests, settings):
    # Sessions in the database only, so that a request's change to one is rolled back too.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    clients = {None: Client()}
    for persona in ALL_PERSONAS:
        clients[persona] = Client()
        clients[persona].force_login(world.users[persona])
    for key in keys:
        case = CASES[key]
        world = _fresh(world)
        for persona in ALL_PERSONAS:
            with subtests.test(key=key, persona=persona):
                url, response = _request(case, world, persona, clients[persona])
                assert response.status_code == case.expect[persona], (
                    f"{persona} {case.method.upper()} {url} ({key})"
                )
        with subtests.test(key=key, persona="signed out"):
            url, response = _request(case, world, None, clients[None])
            if not case.login_required:
                assert response.status_code in (200, 405)
            else:
                assert response.status_code == 302, key
                assert response.url.startswith(("/accounts/login/", "/admin/login/")), response.url
