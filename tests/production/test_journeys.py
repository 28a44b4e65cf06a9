"""Journeys through Roper as a school deploys it (see conftest.py): gunicorn, DEBUG=false,
collected static files, HTTPS behind a proxy, two-factor enforced.

On every page, besides each journey's own assertions: no console error and no page error (a
Content-Security-Policy violation, a failed script or a missing file is one), no server error
in gunicorn's log, every page compressed, and every static file served with a 200, a cache
lifetime of at least a year, and compression for CSS and JavaScript.
"""

import base64
import hmac
import http.client
import re
import struct
import time
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.production.conftest import PROXY_HEADERS

# `make test` runs them in one process of their own, so the server is built once.
pytestmark = [pytest.mark.browser, pytest.mark.production]

PASSWORD = "roper-demo"
DEMO_TOTP_KEY = "JBSWY3DPEHPK3PXP"  # the demo accounts' authenticator key (README)
ONE_YEAR = 365 * 24 * 3600
#: A name with the manifest storage's content hash, e.g. roper.a18c046de843.css.
HASHED = re.compile(r"\.[0-9a-f]{12}\.\w+$")


def totp(key_base32: str, at: float | None = None) -> str:
    """The 6-digit code an authenticator app shows now (RFC 6238: HMAC-SHA1, 30 s steps)."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(key_base32), struct.pack(">Q", counter), "sha1").digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**6:06d}"


def test_the_totp_helper_matches_rfc_6238():
    # RFC 6238, appendix B: SHA-1 at 59 s gives 94287082 (8 digits) for this key.
    key = base64.b32encode(b"12345678901234567890").decode()
    assert totp(key, at=59) == "287082"


def _max_age(cache_control: str) -> int:
    for part in cache_control.split(","):
        name, _, value = part.strip().partition("=")
        if name == "max-age":
            return int(value)
    return 0


class Watch:
    """Everything a page of the journey did wrong, collected as it happens."""

    def __init__(self, page, server):
        self.problems = []
        self.responses = []
        self.server = server
        self.log_start = server.log_size()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("response", lambda response: self.responses.append(response))

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"console error on {message.location['url']}: {message.text}")

    def check(self):
        for response in self.responses:
            self._check_response(response)
        log = self.server.log_since(self.log_start)
        if "Internal Server Error" in log or "Traceback" in log:
            self.problems.append(f"gunicorn logged an error:\n{log}")
        assert not self.problems, "\n".join(self.problems)

    def _check_response(self, response):
        path = urlsplit(response.url).path
        headers = response.headers
        where = f"{response.status} {path}"
        compressed = headers.get("content-encoding") in {"gzip", "br"}
        if response.status >= 400:
            self.problems.append(f"{where}: an error response")
        if path.startswith("/static/"):
            cache = headers.get("cache-control", "")
            if _max_age(cache) < ONE_YEAR or (HASHED.search(path) and "immutable" not in cache):
                self.problems.append(f"{where}: Cache-Control {cache!r}")
            if path.endswith((".css", ".js")) and not compressed:
                self.problems.append(f"{where}: not compressed")
        elif (
            response.request.resource_type == "document"
            and response.status == 200
            and headers.get("content-type", "").startswith("text/html")
            and not compressed
        ):
            self.problems.append(f"{where}: the page is not compressed")


@pytest.fixture
def watched(page, roper_server):
    """The journey's page, checked (see Watch) when the journey ends."""
    watch = Watch(page, roper_server)
    yield page
    watch.check()


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_the_head_signs_in_with_a_code_from_the_authenticator_app(watched):
    page = watched
    sign_in(page, "head")
    assert "/accounts/two-factor/" in page.url  # the password alone opens nothing
    page.get_by_label("Code").fill(totp(DEMO_TOTP_KEY))
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    assert page.url.endswith("/incidents/dashboard/")  # a DSL lands on the dashboard
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The favicon the page names is served.
    icon = page.locator("link[rel=icon]").get_attribute("href")
    response = page.request.get(icon, headers=PROXY_HEADERS)
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")


def _in_the_morning(route):
    """The roster as the server sends it, its clock set to an hour before home time: the
    page lists the phones not in yet first only before home time (from then the held ones),
    and this test ran against the wall clock's time."""
    response = route.fetch()
    roster = response.json()
    roster["now"] = roster["home"] - 3600
    route.fulfill(response=response, json=roster)


def test_the_office_finds_a_learner_and_checks_their_phone_in(watched):
    page = watched
    searches = []
    page.on("request", lambda r: "/devices/desk/search/" in r.url and searches.append(r.url))
    page.route("**/devices/desk/roster/**", _in_the_morning)
    with page.expect_response(lambda r: "/devices/desk/roster/" in r.url) as roster:
        sign_in(page, "office")
    assert roster.value.status == 200
    assert page.url.endswith("/devices/desk/")  # the office lands on the desk
    page.get_by_label("Learner name, class or pouch number").fill("Elm")
    results = page.locator(".desk-results")
    expect(results).to_be_visible()
    # The list was drawn from the day's roster, in the page, under the production CSP.
    page.wait_for_timeout(300)
    assert searches == []
    button = results.get_by_role("button", name="Check in").first
    # The row's heading is the name, then what tells namesakes apart (year, date of birth).
    learner = button.locator("xpath=ancestor::tr").locator("th").inner_text().splitlines()[0]
    with page.expect_response(lambda r: r.url.endswith("/in/")):
        button.click()
    expect(page.locator("#desk-state")).to_contain_text(f"{learner} (Elm): phone in.")


def _png():
    """A real 2×2 PNG (the server checks a file's content, not its name)."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_a_teacher_reports_a_concern_with_a_photo(watched):
    page = watched
    sign_in(page, "teacher")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Report a concern").click()
    page.wait_for_url("**/incidents/new/")
    page.get_by_label("Category").select_option(index=1)
    page.get_by_role("radio", name="No").check()
    page.locator("#id_what_happened").fill("Production journey: a child was upset at break.")
    page.get_by_label("Where").fill("Playground")
    page.get_by_label("Evidence (images or PDFs, up to 10 MB each)").set_input_files(
        files=[{"name": "photo.png", "mimeType": "image/png", "buffer": _png()}]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("status").first).to_contain_text("Thank you. Your report")
    expect(page.get_by_role("link", name="photo.png")).to_be_visible()


def test_a_governor_downloads_the_report_as_a_pdf(watched):
    page = watched
    sign_in(page, "governor")
    assert page.url.endswith("/reports/governors/")  # governors land on their report
    expect(page.locator("svg.report-chart").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = download.value
    assert pdf.suggested_filename.endswith(".pdf")
    data = Path(pdf.path()).read_bytes()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
    assert len(data) > 5_000


def _get(server, path, headers):
    """A plain HTTP request (no browser), through the simulated proxy."""
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request("GET", path, headers={**PROXY_HEADERS, **headers})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def test_a_request_for_another_host_is_refused_with_400(roper_server):
    offset = roper_server.log_size()
    response, _ = _get(roper_server, "/accounts/login/", {"Host": "roper.attacker.example"})
    assert response.status == 400
    assert "Internal Server Error" not in roper_server.log_since(offset)


def test_every_static_url_in_a_page_names_a_hashed_file(roper_server):
    """Hashed (manifest) names are what make a year's caching safe: a new version of a file
    gets a new name."""
    response, body = _get(roper_server, "/accounts/login/", {})
    assert response.status == 200
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', body.decode())
    assert len(urls) >= 4
    unhashed = [url for url in urls if not HASHED.search(url)]
    assert unhashed == []
