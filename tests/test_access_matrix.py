"""Every URL in the URL conf × every persona → the expected status (see tests/access.py)."""

import importlib
import pkgutil

import pytest
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


@pytest.mark.parametrize("persona", ALL_PERSONAS)
@pytest.mark.parametrize("key", sorted(CASES))
def test_access(key, persona, world, client):
    case = CASES[key]
    user = world.users[persona]
    url = case.build(world, user)
    client.force_login(user)
    response = getattr(client, case.method)(url, case.data)
    assert response.status_code == case.expect[persona], (
        f"{persona} {case.method.upper()} {url} ({key})"
    )


@pytest.mark.parametrize("key", sorted(CASES))
def test_signed_out_visitors_are_sent_to_sign_in(key, world, client):
    case = CASES[key]
    url = case.build(world, world.users["head"])
    response = getattr(client, case.method)(url, case.data)
    if not case.login_required:
        assert response.status_code in (200, 405)
        return
    assert response.status_code == 302, key
    assert response.url.startswith("/accounts/login/") or response.url.startswith(
        "/admin/login/"
    ), response.url
