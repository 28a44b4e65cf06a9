"""Which concerns a user may know of, as the review triggers a concern opened need it
(DESIGN.md, "Secrecy is one rule"). The rule is incidents' own (incidents/visibility.py);
incidents sits above policies, so it registers the rule here (IncidentsConfig.ready) and
policies never imports it. Until a rule is registered, nothing opened from a concern shows."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class ConcernSecrecy:
    #: (queryset, user, concern field) -> the queryset without the rows whose concern is
    #: concealed from the user.
    without_concealed: Callable[[QuerySet, object, str], QuerySet]
    #: (user, concern numbers) -> {number: URL} of those the user sees in full.
    links: Callable[[object, set[int]], dict[int, str]]


_REGISTERED: dict[str, ConcernSecrecy] = {}


def register(secrecy: ConcernSecrecy) -> None:
    _REGISTERED["rule"] = secrecy


def without_concealed(queryset: QuerySet, user, concern: str) -> QuerySet:
    """`queryset` without the rows whose concern (in field `concern`) is concealed from
    `user`."""
    rule = _REGISTERED.get("rule")
    if rule is None:
        return queryset.filter(**{f"{concern}__isnull": True})
    return rule.without_concealed(queryset, user, concern)


def concern_links(user, numbers: Iterable[int | None]) -> dict[int, str]:
    """{number: URL of the concern} for the concerns of `numbers` the user sees in full: only
    they are shown a concern's number."""
    wanted = {n for n in numbers if n}
    rule = _REGISTERED.get("rule")
    return rule.links(user, wanted) if wanted and rule is not None else {}
