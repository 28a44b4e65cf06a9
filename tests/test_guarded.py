"""Every view passes the one guard (roper/permissions.py), and no view scopes rows by hand.

A view that forgot its permission, or filtered by school itself instead of through
`SchoolScopedQuerySet.for_user` / `get_for_user`, fails here before it can leak a record of
another school."""

import inspect
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from roper.permissions import PermissionMixin

#: The apps whose views are all guarded (incidents joins when its views are).
GUARDED_APPS = ("devices", "incidents", "policies", "people", "reports", "conduct", "transfers")


def _views(patterns=None, namespace=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            yield from _views(pattern.url_patterns, ns)
        elif isinstance(pattern, URLPattern) and namespace in GUARDED_APPS:
            yield f"{namespace}:{pattern.name}", pattern.callback


def guarded_by(view) -> tuple | None:
    """The permission(s) the one guard checks before `view` runs, or None."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        if issubclass(view_class, PermissionMixin) and view_class.permission:
            return ((view_class.permission,), getattr(view_class, "where", "any"))
        return None
    return getattr(view, "guarded_by", None)


VIEWS = sorted(_views())


def test_the_guarded_apps_have_views():
    assert {name.split(":")[0] for name, _ in VIEWS} == set(GUARDED_APPS)


@pytest.mark.parametrize(("name", "view"), VIEWS, ids=[name for name, _ in VIEWS])
def test_every_view_is_guarded_by_the_one_guard(name, view):
    assert guarded_by(view), (
        f"{name} is not guarded: use PermissionMixin (with `permission`) or "
        "@permission_required(...) from roper.permissions"
    )


HAND_WRITTEN_SCOPE = re.compile(r"\.(filter|get|exclude)\([^)]*\bschool(_id)?=")


@pytest.mark.parametrize("app", GUARDED_APPS)
def test_no_view_filters_by_school_itself(app):
    module = __import__(f"{app}.views", fromlist=["views"])
    source = inspect.getsource(module)
    found = [line.strip() for line in source.splitlines() if HAND_WRITTEN_SCOPE.search(line)]
    assert not found, (
        f"{app}/views.py filters by school itself (use for_user/get_for_user): {found}"
    )


def test_a_view_without_the_guard_is_caught():
    def unguarded(request):
        return None

    assert guarded_by(unguarded) is None
