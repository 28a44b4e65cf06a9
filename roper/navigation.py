"""The navigation, and where each role lands after signing in. Each item is shown only to
people who hold its permission in the school they are working in."""

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.urls import get_script_prefix, get_urlconf, reverse

from roper.permissions import has_perm, roles_for
from roper.roles import roles_holding


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    #: One permission, or several (any of them shows the item).
    permission: str | tuple[str, ...]
    description: str = ""
    #: (user, school) -> int: how many wait there, shown after the label when there are any.
    count: Callable[..., int] | None = None
    #: Where it stands in the navigation, lowest first.
    order: int = 0

    @property
    def permissions(self) -> tuple[str, ...]:
        return (self.permission,) if isinstance(self.permission, str) else self.permission

    @property
    def url(self):
        return _reverse(self.url_name, get_urlconf(), get_script_prefix())


@functools.lru_cache(maxsize=256)
def _reverse(url_name: str, urlconf, prefix: str) -> str:
    """An item's address: the same for every request of one URLconf and script prefix, so
    reversed once, not three times per item on every page (base.html reads it for the link
    and twice for "the page you are on")."""
    return reverse(url_name, urlconf=urlconf)


#: By url name; the apps register their items (their AppConfig.ready): roper imports no app.
_NAV: dict[str, NavItem] = {}
#: url name -> (order, permission): the first whose permission the user holds in their school
#: is their home page (the DSL's dashboard, the office desk, the governors' reports).
_LANDING: dict[str, tuple[int, str]] = {}


@functools.lru_cache(maxsize=256)
def _shown_to(roles: frozenset[str]) -> tuple[NavItem, ...]:
    """The items whose permission one of `roles` holds, in order (`has_perm`'s rule, for
    roles held in one school): the same for everyone holding the same roles, so worked out
    once per set of roles, not for every item on every page."""
    return tuple(
        item
        for item in sorted(_NAV.values(), key=lambda i: i.order)
        if any(roles & roles_holding(p) for p in item.permissions)
    )


def register(*items: NavItem) -> None:
    """Add items to the navigation (again: replaced, so an app may register twice)."""
    for item in items:
        _NAV[item.url_name] = item
    _shown_to.cache_clear()


def register_landing(permission: str, url_name: str, order: int) -> None:
    """Make `url_name` the home page of those holding `permission` (lowest order first)."""
    _LANDING[url_name] = (order, permission)


register(
    NavItem(
        "Admin", "admin:index", "school.admin", "Users, roles, categories and settings.", order=110
    ),
    NavItem(
        "Retention",
        "retention",
        "retention.approve",
        "Records past their retention period, to destroy or keep.",
        order=130,
    ),
)


def nav_for(user, school) -> list[NavItem]:
    if school is None:
        return []
    items = []
    for item in _shown_to(roles_for(user, school)):
        waiting = item.count(user, school) if item.count else 0
        items.append(replace(item, label=f"{item.label} ({waiting})") if waiting else item)
    return items


def landing_for(user, school) -> str | None:
    if school is None:
        return None
    for url_name, (_, permission) in sorted(_LANDING.items(), key=lambda x: x[1][0]):
        if has_perm(user, permission, school):
            return reverse(url_name)
    return None
