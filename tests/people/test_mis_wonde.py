"""The Wonde sync against a local HTTP server started by the test, answering as Wonde's
documentation shows: students with their contacts, classes, education details and year, in
pages linked by meta.pagination.next, behind a Bearer token; and an error page."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from people.models import Guardianship, ImportRun, Learner, MisConnection
from people.services import mis_sync
from roper.models import Notification
from roper.reminders import JOBS
from tests.factories import LearnerFactory
from tests.people.importing import upn

pytestmark = pytest.mark.django_db

TOKEN = "wonde-token-of-school-a"
WONDE_ID = "A1930499544"


def wonde_student(n: int, *, upn_: str | None = None) -> dict:
    return {
        "id": f"B{n:09d}",
        "mis_id": str(n),
        "forename": f"Kid{n}",
        "surname": "Wonde",
        "legal_forename": f"Kid{n}",
        "legal_surname": "Wonde",
        "date_of_birth": {
            "date": f"2017-05-0{1 + n % 9} 00:00:00.000000",
            "timezone_type": 3,
            "timezone": "Europe/London",
        },
        "education_details": {"data": {"upn": upn_ or upn(500 + n), "admission_date": None}},
        "year": {"data": {"id": "Y1", "code": "4", "name": "Year 4"}},
        "classes": {"data": [{"id": "C1", "name": "4W", "code": "4W", "type": "REGISTRATION"}]},
        "contacts": {
            "data": [
                {
                    "id": f"P{n}",
                    "title": "Ms",
                    "forename": "Pat",
                    "surname": f"Parent{n}",
                    "relationship": {
                        "relationship": "Mother",
                        "priority": 1,
                        "parental_responsibility": True,
                        "lives_with_pupil": True,
                    },
                    "contact_details": {
                        "data": {
                            "emails": {"email": f"pat{n}@example.org", "primary": None},
                            "phones": {"mobile": "07700 900123", "primary": None},
                        }
                    },
                }
            ]
        },
    }


class Wonde:
    """The pages the server answers, by path, and the requests it saw."""

    def __init__(self):
        self.pages: dict[str, tuple[int, dict]] = {}
        self.seen: list[tuple[str, str]] = []
        self.url = ""

    def students(self, *pages):
        """The students, in pages; each page's next link is the following page."""
        self._pages("students", pages)

    def employees(self, *pages):
        self._pages("employees", pages)

    def _pages(self, what, pages):
        base = f"/v1.0/schools/{WONDE_ID}/{what}"
        for i, students in enumerate(pages):
            nxt = f"{self.url}{base}?page={i + 2}" if i + 1 < len(pages) else None
            meta = {"pagination": {"next": nxt, "previous": None, "more": bool(nxt),
                                   "per_page": 200, "current_page": i + 1}}  # fmt: skip
            self.pages[f"{base}?page={i + 1}" if i else base] = (
                200,
                {"data": students, "meta": meta},
            )


@pytest.fixture
def wonde(settings):
    state = Wonde()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server name
            parts = urlsplit(self.path)
            query = [q for q in parts.query.split("&") if q.startswith("page=")]
            key = parts.path + (f"?{query[0]}" if query and query[0] != "page=1" else "")
            state.seen.append((self.path, self.headers.get("Authorization", "")))
            status, body = state.pages.get(key, (404, {"error": "not found"}))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                status, body = 401, {"error": "Unauthenticated", "other": "School B's roll"}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}"
    settings.WONDE_API_URL = f"{state.url}/v1.0"
    state.employees([])  # no staff unless a test gives some
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def connection(world):
    return MisConnection.objects.create(school=world.school, external_id=WONDE_ID, token=TOKEN)


def test_a_sync_reads_every_page_and_imports_learners_with_their_contacts(world, wonde, connection):
    wonde.students([wonde_student(1), wonde_student(2)], [wonde_student(3), wonde_student(4)])
    for n in (1, 2, 3, 4, 5):  # with Amelia, six on roll: two leave, which is too many …
        LearnerFactory(school=world.school, upn=upn(500 + n))
    held = mis_sync(connection=connection)
    assert held.status == ImportRun.Status.PREVIEW and len(held.plan["left"]) == 2
    Learner.objects.filter(upn=upn(505)).update(active=False)  # … one of five is not

    run = mis_sync(connection=connection)

    assert run.status == ImportRun.Status.APPLIED and run.source == "Wonde"
    assert len(run.plan["changed"]) == 4 and run.plan["created"] == []
    students = [(path, auth) for path, auth in wonde.seen if "/students" in path]
    assert [auth for _, auth in students] == [f"Bearer {TOKEN}"] * 4  # two pages, twice
    assert "include=contacts" in wonde.seen[0][0] and "per_page=" in wonde.seen[0][0]
    kid = Learner.objects.get(upn=upn(503))
    assert (kid.name, kid.year_group, kid.class_name) == ("Kid3 Wonde", "4", "4W")
    assert str(kid.date_of_birth) == "2017-05-04"
    link = Guardianship.objects.get(learner=kid)
    assert (link.guardian.name, link.guardian.email, link.relationship) == (
        "Pat Parent3",
        "pat3@example.org",
        "Mother",
    )
    assert link.parental_responsibility and link.priority == 1
    world.learner.refresh_from_db()
    assert world.learner.active is False  # not on the MIS roll: left, kept
    connection.refresh_from_db()
    assert connection.last_outcome == "0 added, 4 changed, 1 marked as left, 0 skipped."
    assert not ImportRun.objects.filter(kind=ImportRun.Kind.STAFF).exists()  # no staff sent

    again = mis_sync(connection=connection)
    assert again.plan["created"] == [] and again.plan["changed"] == []
    assert again.plan["left"] == []


def test_a_student_with_a_bad_upn_is_skipped_and_the_admin_told(world, wonde, connection):
    Learner.objects.filter(pk=world.learner.pk).update(active=False)  # a new school: no roll
    wonde.students([wonde_student(1), wonde_student(2, upn_="A801200005001")])

    run = mis_sync(connection=connection)

    assert Learner.objects.filter(upn=upn(501)).exists()
    assert run.plan["problems"] == [
        {"line": 2, "reason": "UPN 'A801200005001' has the wrong check letter (a mistyped digit?)"}
    ]
    note = Notification.objects.get(recipient=world.users["admin"])
    assert "1 skipped" in note.title
    assert note.url == reverse("people:import_run", args=[run.pk])
    assert not Notification.objects.exclude(recipient=world.users["admin"]).exists()


def test_a_refused_token_changes_nothing_and_echoes_nothing_wonde_sent(world, wonde, connection):
    wonde.students([wonde_student(1)])
    connection.token = "a-wrong-token"
    connection.save()

    assert mis_sync(connection=connection) is None

    connection.refresh_from_db()
    assert connection.last_outcome == "Failed: Wonde answered 401: the token was refused."
    assert world.learner.active and Learner.objects.count() == 2
    note = Notification.objects.get(recipient=world.users["admin"])
    assert "401" in note.title and "School B" not in note.title


def test_an_empty_answer_is_held_for_the_admin_instead_of_marking_everyone_as_left(
    world, wonde, connection
):
    wonde.students([])

    run = mis_sync(connection=connection)

    assert run.status == ImportRun.Status.PREVIEW
    world.learner.refresh_from_db()
    assert world.learner.active
    assert "Held for you to check" in Notification.objects.get().title


def test_a_next_link_to_another_host_is_not_followed_with_the_token(world, wonde, connection):
    wonde.students([wonde_student(1)])
    path = f"/v1.0/schools/{WONDE_ID}/students"
    status, body = wonde.pages[path]
    body["meta"]["pagination"]["next"] = "http://attacker.example/steal"

    assert mis_sync(connection=connection) is None
    assert "another address" in MisConnection.objects.get().last_outcome
    assert not Learner.objects.filter(upn=upn(501)).exists()  # nothing half-applied


def test_the_clock_syncs_each_connection_once_a_day(world, wonde, connection):
    from django.utils import timezone

    from people.jobs import mis_sync_due

    wonde.students([wonde_student(1)])
    mis_sync_due(timezone.now())
    mis_sync_due(timezone.now())
    assert JOBS["mis-sync"] is mis_sync_due
    assert ImportRun.objects.filter(source="Wonde").count() == 1


def test_the_token_is_never_shown_back_in_the_admin(world, as_user, connection):
    client = as_user(world.users["admin"])
    page = client.get(reverse("admin:people_misconnection_change", args=[connection.pk]))
    assert page.status_code == 200
    assert TOKEN not in page.content.decode()
    # Saved without a new token: the old one is kept.
    client.post(
        reverse("admin:people_misconnection_change", args=[connection.pk]),
        {"school": world.school.pk, "provider": "wonde", "external_id": WONDE_ID, "token": ""},
    )
    connection.refresh_from_db()
    assert connection.token == TOKEN and connection.enabled is False


def wonde_employee(first, last, email) -> dict:
    return {
        "id": f"E{first}",
        "forename": first,
        "surname": last,
        "legal_forename": first,
        "legal_surname": last,
        "contact_details": {"data": {"emails": {"work": email, "primary": None}}},
    }


def test_the_mis_staff_wait_for_an_admin_and_no_one_gets_a_role(world, wonde, connection):
    """New staff and changed names are previewed as a staff file is, never applied by the
    sync: the admin chooses the role of new accounts (or none)."""
    wonde.students([wonde_student(1)])
    teacher = world.users["teacher"]
    teacher.email = "teacher@school.example"
    teacher.save()
    wonde.employees(
        [
            wonde_employee("Tess", "Renamed", "teacher@school.example"),
            wonde_employee("Nina", "New", "nina.new@school.example"),
            wonde_employee("Ex", "Outsider", world.users["outsider"].email or "out@x.example"),
        ]
    )
    before = get_user_model().objects.count()

    mis_sync(connection=connection)

    run = ImportRun.objects.get(kind=ImportRun.Kind.STAFF)
    assert run.status == ImportRun.Status.PREVIEW and run.created_by is None
    assert [c["upn"] for c in run.plan["created"]] == ["nina.new@school.example"]
    assert [c["upn"] for c in run.plan["changed"]] == ["teacher@school.example"]
    teacher.refresh_from_db()
    assert teacher.last_name != "Renamed"  # nothing applied by the sync
    assert get_user_model().objects.count() == before
    note = Notification.objects.get(recipient=world.users["admin"], title__contains="Staff")
    assert "1 to add and 1 to change" in note.title
    assert note.url == reverse("people:import_run", args=[run.pk])
    connection.refresh_from_db()
    assert "Staff: 1 to add and 1 to change" in connection.last_outcome

    mis_sync(connection=connection)  # the next day's: the newest preview replaces the last
    assert (
        ImportRun.objects.filter(kind=ImportRun.Kind.STAFF, status=ImportRun.Status.PREVIEW).count()
        == 1
    )


def test_a_student_whose_parent_is_listed_twice_is_synced_with_her_once(world, wonde, connection):
    Learner.objects.filter(pk=world.learner.pk).update(active=False)  # a new school: no roll
    student = wonde_student(1)
    again = json.loads(json.dumps(student["contacts"]["data"][0]))
    again["relationship"]["priority"] = 2
    student["contacts"]["data"].append(again)
    wonde.students([student, wonde_student(2)])

    run = mis_sync(connection=connection)

    assert run.status == ImportRun.Status.APPLIED
    assert Learner.objects.filter(upn__in=[upn(501), upn(502)]).count() == 2
    assert Guardianship.objects.filter(learner__upn=upn(501)).count() == 1
    connection.refresh_from_db()
    assert connection.last_outcome.startswith("2 added")


def test_a_sync_that_fails_to_apply_says_so_and_the_admin_is_told(
    world, wonde, connection, monkeypatch
):
    from people import services

    def failing(**kwargs):
        raise RuntimeError("an error deep in Roper")

    monkeypatch.setattr(services, "import_apply", failing)
    wonde.students([wonde_student(1)])
    Learner.objects.filter(pk=world.learner.pk).update(active=False)

    run = mis_sync(connection=connection)

    assert run.status == ImportRun.Status.FAILED
    assert not Learner.objects.filter(upn=upn(501)).exists()
    connection.refresh_from_db()
    assert connection.last_outcome == "Failed: nothing was changed. Open the import to see why."
    assert connection.last_synced_at is not None  # tried again on the next day's round
    note = Notification.objects.get(recipient=world.users["admin"])
    assert "Failed: nothing was changed" in note.title
    assert note.url == reverse("people:import_run", args=[run.pk])
    assert "deep in Roper" not in run.plan["failure"]


def test_a_synced_child_with_a_new_upn_is_added_and_the_admin_asked_to_check(
    world, wonde, connection
):
    Learner.objects.filter(pk=world.learner.pk).update(active=False)
    wonde.students([wonde_student(n) for n in range(1, 6)])
    mis_sync(connection=connection)
    Notification.objects.all().delete()
    # Kid1's temporary UPN replaced by a permanent one in the MIS.
    wonde.students([wonde_student(1, upn_=upn(601))] + [wonde_student(n) for n in range(2, 6)])

    run = mis_sync(connection=connection)

    assert run.status == ImportRun.Status.APPLIED
    assert [item["upn"] for item in run.plan["created"]] == [upn(601)]
    assert f"already in Roper with UPN {upn(501)}" in run.plan["warnings"][0]["reason"]
    connection.refresh_from_db()
    assert connection.last_outcome == "1 added, 0 changed, 1 marked as left, 0 skipped, 1 to check."
    note = Notification.objects.get(recipient=world.users["admin"])
    assert "1 to check" in note.title
    assert note.url == reverse("people:import_run", args=[run.pk])
