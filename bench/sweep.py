"""Every page without a parameter in its address (lists, dashboards, forms, exports), opened by
each of a school's role accounts, its queries counted: the issue's "query counts stay fixed at
every scale" for the pages the timed cases do not cover. Compared between two scales, a page
whose count grows reads a row at a time (the concerns export logged each concern downloaded
in a statement of its own: 9,000 queries and 9 s at the school scale; bench/README.md, tenth
pass).

Each page is opened twice, the second counted (the first warms the session and what a
connection prepares once). Nothing is timed here; writes are rolled back.
"""

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from bench.cases import signed_in
from bench.volume import CORE, Part

#: Pages left out: signing out ends the session the sweep goes on with.
SKIP = {"account_logout", "logout"}


def page_names(patterns=None, namespace: str = "") -> list[str]:
    """The URL names of Roper's pages that take no parameter (Django's admin apart)."""
    names = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            if ns == "admin":
                continue
            names += page_names(pattern.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif (
            isinstance(pattern, URLPattern)
            and pattern.name
            and not pattern.pattern.converters
            and pattern.name not in SKIP
        ):
            names.append(f"{namespace}{pattern.name}")
    return sorted(set(names))


class _Undo(Exception):
    pass


def sweep(part: Part) -> dict[str, int]:
    """ "role page" -> the queries of a GET of the page by that role account of the part's
    first school (any status: a page refused is counted too)."""
    counted = {}
    names = page_names()
    for role in CORE:
        client = signed_in(f"{part.key}-01-{role}")
        for name in names:
            url = reverse(name)
            try:
                with transaction.atomic():
                    client.get(url)
                    with CaptureQueriesContext(connection) as queries:
                        client.get(url)
                    raise _Undo
            except _Undo:
                pass
            counted[f"{role} {name}"] = len(queries)
    return counted


def grown(small: dict[str, int], large: dict[str, int]) -> dict[str, str]:
    """The pages whose queries grew from `small` to `large`: "role page" -> "n → m"."""
    return {
        key: f"{small[key]} → {large[key]}"
        for key in small
        if key in large and large[key] > small[key]
    }
