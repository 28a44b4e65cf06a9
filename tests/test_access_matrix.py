"""Every URL in the URL conf × every persona → the expected status (see tests/access.py)."""

import importlib
import pkgutil

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

import tests
from tests.conftest import ALL_PERSONAS


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


def _request(case, world, user):
    """(url, status) of the case's request by `user` (None: signed out), rolled back after."""
    client = Client()
    try:
        with transaction.atomic():
            url = case.build(world, user or world.users["head"])
            if user is not None:
                client.force_login(user)
            response = getattr(client, case.method)(url, case.data)
            raise _Undo
    except _Undo:
        pass
    return url, response


# One test per URL (its world built once), one subtest per persona: each persona's request
# runs in a savepoint rolled back afterwards, so none sees what another's request changed.
@pytest.mark.parametrize("key", sorted(CASES))
def test_access(key, world, subtests):
    case = CASES[key]
    for persona in ALL_PERSONAS:
        with subtests.test(persona=persona):
            url, response = _request(case, world, world.users[persona])
            assert response.status_code == case.expect[persona], (
                f"{persona} {case.method.upper()} {url} ({key})"
            )
    with subtests.test(persona="signed out"):
        url, response = _request(case, world, None)
        if not case.login_required:
            assert response.status_code in (200, 405)
        else:
            assert response.status_code == 302, key
            assert response.url.startswith(("/accounts/login/", "/admin/login/")), response.url
