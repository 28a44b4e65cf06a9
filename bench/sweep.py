"""Every page without a parameter in its address (lists, dashboards, forms, exports), opened by
each of a school's role accounts (in a trust, the trust's own accounts too), its queries
counted: the issue's "query counts stay fixed at every scale" for the pages the timed cases
do not cover. Compared between two scales, a page whose count grows reads a row at a time
(the concerns export logged each concern downloaded in a statement of its own: 9,000 queries
and 9 s at the school scale; bench/README.md, tenth pass). A trust is swept at 2 schools and
at 20: a page that reads a school at a time grows with them.

With a depth, the sweep goes on to the pages with a parameter (a concern, a learner, a
policy, a handover, a report...): those the role's pages link to, the first link of each URL
name, and those they link to in turn. The bench has no builders for them (the access
matrix's are test code); the links are what a user of that role follows.

Each page is opened twice, its CPU time and its queries the lesser of the two (the first
warms the session and what a connection prepares once). Writes are rolled back.
"""

import re
import time
from urllib.parse import unquote, urlsplit

from django.db import transaction
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

from bench.cases import counting, signed_in
from bench.volume import CORE, Part

#: How many links away from the pages without a parameter `make bench` goes.
SWEEP_DEPTH = 3

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


#: A link's address in a page: href, htmx's hx-get, or a form's action.
LINK = re.compile(r'(?:href|hx-get|action)="(/[^"#]*)"')


def links(html: str) -> dict[str, str]:
    """URL name -> the first address in `html` that resolves to a Roper page with a parameter
    (Django's admin apart), in the order the page gives them."""
    found = {}
    for address in LINK.findall(html):
        path = unquote(urlsplit(address.replace("&amp;", "&")).path)
        try:
            match = resolve(path)
        except Resolver404:
            continue
        name = match.view_name
        if match.kwargs and name not in found and not name.startswith("admin:"):
            found[name] = path
    return found


def _opened(client, url) -> tuple[dict, str]:
    """({"url", "queries", "cpu_ms", "status"}, HTML) of two GETs of `url` (any status: a
    page refused is counted too); what either wrote is rolled back. The queries and the CPU
    time are the fewer of the two GETs': a write that comes with the clock (the session's
    "last seen", twice a minute) or with a cache's expiry falls in one of them, not in both,
    and so does a pause for the garbage collector (a 49 ms page listed at 254 ms, bench/README,
    twelfth pass), or what a connection and the session prepare once."""
    counts, cpu = [], []
    try:
        with transaction.atomic():
            for _ in range(2):
                started = time.process_time()
                with counting() as queries:
                    response = client.get(url)
                cpu.append((time.process_time() - started) * 1000)
                counts.append(len(queries))
            raise _Undo
    except _Undo:
        pass
    html = ""
    if response.get("Content-Type", "").startswith("text/html"):
        html = response.content.decode(errors="replace")
    row = {"url": url, "queries": min(counts), "cpu_ms": round(min(cpu), 2)}
    return row | {"status": response.status_code}, html


#: The trust's own accounts (bench/volume.py `_trust_users`): they see every school of it.
TRUST_ACCOUNTS = ("trust-dsl", "trust-governor")


def accounts(part: Part) -> dict[str, str]:
    """role -> username: the role accounts of the part's first school, and in a trust the
    trust's own accounts too."""
    found = {role: f"{part.key}-01-{role}" for role in CORE}
    if part.in_trust:
        found |= {role: f"{part.key}-{role}" for role in TRUST_ACCOUNTS}
    return found


def sweep(part: Part, depth: int = 0) -> dict[str, dict]:
    """ "role page" -> what `_opened` measured and how many links away the page was ("level",
    0 for a page without a parameter), for every page without a parameter, opened by
    each of the part's `accounts`; with `depth`, also every page with one that the account
    reaches by links from those, up to `depth` links away: the first link of each URL name
    (the order of the pages, then of the links)."""
    opened = {}
    for role, username in accounts(part).items():
        client = signed_in(username)
        ahead = {name: reverse(name) for name in page_names()}
        for level in range(depth + 1):
            following = {}
            for name, url in ahead.items():
                row, html = _opened(client, url)
                opened[f"{role} {name}"] = row | {"level": level}
                for linked, to in links(html).items():
                    following.setdefault(linked, to)
            ahead = {n: u for n, u in following.items() if f"{role} {n}" not in opened}
    return opened


def grown(small: dict[str, dict], large: dict[str, dict]) -> dict[str, str]:
    """The pages whose queries grew from `small` to `large` (each as `sweep` gives them), and
    any counted at none (every signed-in request reads its user: the count failed):
    "role page" -> "n → m"."""
    return {
        key: f"{small[key]['queries']} → {large[key]['queries']}"
        for key in small
        if key in large
        and (
            large[key]["queries"] > small[key]["queries"]
            or not small[key]["queries"]
            or not large[key]["queries"]
        )
    }


def slowest(opened: dict[str, dict], n: int = 8) -> list[dict]:
    """The `n` pages that took the most CPU time, dearest first."""
    rows = sorted(opened.items(), key=lambda item: -item[1]["cpu_ms"])[:n]
    return [{"page": key} | row for key, row in rows]
