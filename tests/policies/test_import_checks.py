"""What the import of a policy checks: guidance cited in an older edition than the current
one (policies/editions.py), and dead links, checked away from the request against a real
HTTP server the test starts on 127.0.0.1 (no mock), never on a private network (SSRF)."""

import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from policies.editions import CURRENT_EDITIONS, stale_citations
from policies.links import link_check, links_in
from policies.models import Policy, PolicyLink
from policies.tasks import policy_links_check
from roper.reminders import run_reminders
from tests.policies.test_import import SEED, staff  # noqa: F401 - the fixture
from tests.reminders.helpers import at

pytestmark = pytest.mark.django_db


class Handler(BaseHTTPRequestHandler):
    seen: list = []

    def _answer(self, body: bool):
        Handler.seen.append(self.path)
        if self.path == "/ok":
            self.send_response(200)
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "http://10.0.0.1/inside")
        else:
            self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self):
        self._answer(False)

    def do_GET(self):
        self._answer(True)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def checks_on(settings):
    settings.POLICY_LINK_CHECKS = True
    settings.LINK_CHECK_ALLOW_LOOPBACK = True
    Handler.seen.clear()
    return settings


def _policy_text(server):
    return (
        "Safer Phones Policy\n\n1. Aims\n\n"
        "- It takes into account 'Keeping Children Safe in Education' 2019, KCSIE 2026 and "
        "Searching, Screening and Confiscation (2018).\n"
        f"- Our guidance is at {server}/ok and our old page at {server}/gone.\n"
        "- The router at http://10.0.0.1/admin and http://169.254.169.254/latest/meta-data.\n"
    )


def test_the_seed_policy_is_warned_of_kcsie_2019_and_working_together_2018(world, staff):  # noqa: F811
    out = StringIO()
    call_command(
        "import_policy", str(SEED), "--school", world.school.urn, "--no-link-check", stdout=out
    )
    warnings = [line for line in out.getvalue().splitlines() if line.startswith("Warning")]
    assert warnings == [
        "Warning: Cites Keeping Children Safe in Education 2019: the current edition is 2026.",
        "Warning: Cites Working Together to Safeguard Children 2018: the current edition is 2023.",
    ]
    assert not PolicyLink.objects.exists()  # --no-link-check


def test_current_editions_are_not_warned_of_and_the_table_is_one_place():
    assert stale_citations("KCSIE 2026, Working Together to Safeguard Children (2023)") == []
    names = [g.name for g in CURRENT_EDITIONS]
    assert len(names) == len(set(names))
    assert {g.name: g.current for g in CURRENT_EDITIONS}["Keeping Children Safe in Education"] == (
        2026
    )


def test_links_are_found_in_markdown_and_bare_text():
    text = "See [the DfE](https://www.gov.uk/a). Also www.example.org/x, and (#) anchors."
    assert links_in(text) == ["https://www.gov.uk/a", "https://www.example.org/x"]


def test_an_import_warns_of_old_guidance_and_its_dead_links_once_checked(
    world, as_user, server, checks_on, django_assert_max_num_queries
):
    client = as_user(world.users["dsl"])
    upload = SimpleUploadedFile("safer-phones.md", _policy_text(server).encode())
    with time_machine.travel(at(date(2026, 12, 3), 10)):
        response = client.post(reverse("policies:import"), {"file": upload, "title": ""})
        policy = Policy.objects.get(slug="safer-phones-policy")
        assert response.status_code == 302
        assert response["Location"] == reverse("policies:checks", args=[policy.slug])
        page = client.get(response["Location"]).text
        assert "Cites Keeping Children Safe in Education 2019: the current edition is 2026" in page
        assert "Cites Searching, screening and confiscation 2018" in page
        assert page.count("waiting to be checked") == 4  # nothing fetched inside the request
        assert Handler.seen == []

        run_reminders(only=["policy-links"])  # no broker: the job checks them

        with django_assert_max_num_queries(12):
            page = client.get(response["Location"]).text
    assert f"{server}/gone</th>" in page
    assert "link checked on 3 Dec 2026: 404" in page
    assert "3 links failed the last check" in page  # the 404 and the 2 refused
    assert "link checked on 3 Dec 2026: OK (200)" in page
    assert page.count("private or local network") == 2  # 10.0.0.1 and 169.254.169.254
    assert sorted(Handler.seen) == ["/gone", "/ok"]  # the private ones were never asked


def test_the_task_checks_a_policys_links_and_stores_what_it_found(world, server, checks_on):
    policy = Policy.objects.create(school=world.school, title="P", slug="p", body="x")
    PolicyLink.objects.create(policy=policy, url=f"{server}/ok")
    PolicyLink.objects.create(policy=policy, url=f"{server}/gone")
    assert policy_links_check.delay(policy.pk).get() == 2  # eager: no broker in tests
    found = {link.url.rsplit("/", 1)[1]: (link.status, link.is_dead) for link in policy.links.all()}
    assert found == {"ok": (200, False), "gone": (404, True)}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/ok",
        "http://localhost:{port}/ok",
        "http://[::ffff:127.0.0.1]:{port}/ok",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "file:///etc/passwd",
    ],
)
def test_private_loopback_and_link_local_addresses_are_never_fetched(settings, server, url):
    settings.LINK_CHECK_ALLOW_LOOPBACK = False  # as in production
    Handler.seen.clear()
    result = link_check(url.format(port=server.rsplit(":", 1)[1]))
    assert result.status is None and result.problem.startswith("not checked")
    assert Handler.seen == []


def test_a_redirect_to_a_private_address_is_not_followed(server, checks_on):
    result = link_check(f"{server}/moved")
    assert result.status is None and "private or local network" in result.problem
    assert Handler.seen == ["/moved"]


def test_a_file_that_is_not_text_is_refused_and_nothing_saved(world, as_user):
    upload = SimpleUploadedFile("policy.md", b"\xff\xfe\x00binary")
    response = as_user(world.users["head"]).post(reverse("policies:import"), {"file": upload})
    assert "is not plain text" in response.text
    assert not Policy.objects.exists()
