"""Checking a policy's external links, away from any request (a Celery task with a broker; the
`policy-links` job without one), with the answer stored on `PolicyLink` and shown on the
policy's page.

Never a request to the school's own network (SSRF): a link whose host resolves to a private,
loopback, link-local, reserved or multicast address is refused without a connection, and
the connection is made to the address that was checked (no second lookup a DNS answer could
change in between). Redirects are followed by hand, each hop checked the same way. Only the
tests set LINK_CHECK_ALLOW_LOOPBACK, to check links against a server of their own.
"""

import http.client
import ipaddress
import logging
import re
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 5
MAX_REDIRECTS = 3
MAX_LINKS = 50
USER_AGENT = "Roper policy link check (+https://github.com/roper)"

#: http(s) URLs and bare www. addresses, up to a space, a closing bracket or quote.
URL = re.compile(r"""(?:https?://|\bwww\.)[^\s<>()"'\]\[]+""", re.IGNORECASE)


def links_in(text: str) -> list[str]:
    """The external links of a policy's text, in order, each once (a bare www. gets
    https://; trailing punctuation is not part of it)."""
    seen: dict[str, None] = {}
    for match in URL.finditer(text):
        url = match[0].rstrip(".,;:!?")
        if url.lower().startswith("www."):
            url = f"https://{url}"
        seen.setdefault(url[:500], None)
    return list(seen)[:MAX_LINKS]


class Refused(Exception):
    """The link is not checked: not http(s), or its host is on a network Roper never
    fetches from."""


def _allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # an address Python cannot read is not one Roper connects to
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return bool(getattr(settings, "LINK_CHECK_ALLOW_LOOPBACK", False))
    return not (
        ip.is_private
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def vetted_addresses(host: str, port: int) -> list[tuple]:
    """The addresses of `host` Roper may connect to; Refused if any is on a refused network
    (a name with one private address among public ones is refused outright)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise LookupError("no such host") from None
    if not infos:
        raise LookupError("no such host")
    for *_, sockaddr in infos:
        if not _allowed(sockaddr[0]):
            raise Refused(f"not checked: {host} is on a private or local network")
    return infos


def _connector(infos):
    """A `create_connection` that connects only to the addresses already checked."""

    def create_connection(address, timeout=TIMEOUT_SECONDS, source_address=None):
        error = None
        for family, socktype, proto, _, sockaddr in infos:
            sock = socket.socket(family, socktype, proto)
            try:
                sock.settimeout(timeout)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error or OSError("could not connect")

    return create_connection


@dataclass
class Result:
    status: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and self.status < 400


def _request(url: str, method: str) -> tuple[int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("not checked: not a web address")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = vetted_addresses(parts.hostname, port)
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname, port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=TIMEOUT_SECONDS)
    conn._create_connection = _connector(infos)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    try:
        conn.request(method, path, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})
        response = conn.getresponse()
        return response.status, response.getheader("Location") or ""
    finally:
        conn.close()


def link_check(url: str) -> Result:
    """HEAD the link (GET when HEAD is not allowed), following up to three redirects."""
    try:
        for _ in range(MAX_REDIRECTS + 1):
            status, location = _request(url, "HEAD")
            if status in (405, 501):
                status, location = _request(url, "GET")
            if status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                continue
            return Result(status=status)
        return Result(problem="too many redirects")
    except Refused as exc:
        return Result(problem=str(exc))
    except LookupError as exc:
        return Result(problem=str(exc))
    except TimeoutError:
        return Result(problem=f"no answer within {TIMEOUT_SECONDS} seconds")
    except ssl.SSLError:
        return Result(problem="its certificate is not valid")
    except (OSError, http.client.HTTPException) as exc:
        return Result(problem=f"could not connect ({type(exc).__name__})")


# -- Stored results ------------------------------------------------------------------------


def links_record(*, policy) -> list:
    """Record the policy's external links (its current text) as waiting to be checked; a link
    already recorded is marked to be checked again. Returns the links."""
    from django.db.models import Q

    from policies.models import PolicyLink

    urls = links_in(policy.body)
    PolicyLink.objects.filter(policy=policy).filter(~Q(url__in=urls)).delete()
    PolicyLink.objects.bulk_create(
        [PolicyLink(policy=policy, url=url) for url in urls], ignore_conflicts=True
    )
    PolicyLink.objects.filter(policy=policy).update(checked_at=None, status=None, problem="")
    return urls


def links_check_later(*, policy) -> None:
    """After the transaction commits: with a broker, a worker checks the links at once;
    without one, the `policy-links` job does on its next run (never inside a request)."""
    from django.db import transaction

    if settings.REDIS_URL and settings.POLICY_LINK_CHECKS:
        transaction.on_commit(lambda: _enqueue(policy.pk))


def _enqueue(policy_id: int) -> None:
    """A broker outage never fails the import: the job checks what is still waiting."""
    from policies.tasks import policy_links_check

    try:
        policy_links_check.delay(policy_id)
    except Exception:  # noqa: BLE001 - any broker error; the job picks the links up
        log.exception("Could not enqueue the link check of policy %s", policy_id)


def links_check(*, policy_id: int | None = None, limit: int = MAX_LINKS) -> int:
    """Check the links waiting to be checked (of one policy, or of any), one at a time and
    outside any transaction; store what each check found. Returns how many were checked."""
    from django.utils import timezone

    from policies.models import PolicyLink

    if not settings.POLICY_LINK_CHECKS:
        return 0
    waiting = PolicyLink.objects.filter(checked_at__isnull=True)
    if policy_id is not None:
        waiting = waiting.filter(policy_id=policy_id)
    checked = 0
    for link in list(waiting.order_by("pk")[:limit]):
        result = link_check(link.url)
        checked += PolicyLink.objects.filter(pk=link.pk, checked_at__isnull=True).update(
            status=result.status, problem=result.problem[:200], checked_at=timezone.now()
        )
    return checked
