"""Secrecy is one rule (DESIGN.md): creating, editing or destroying a record a person may not
see changes nothing that person can reach.

For every persona (and a staff member named as a subject, and a trust-level governor), the
test snapshots every page the persona can open — built from the access-matrix cases of every
app, as `tests/test_access_matrix.py` builds them — plus the governors' report as CSV and as
the HTML its PDF is printed from (this term so far and the last term), and the emails sent to
them. Then it creates the records concealed from the persona, one kind at a time, snapshotting
after each step:

- a concern naming the persona as a subject (for a headteacher, an allegation about the
  headteacher), and a concern of another school;
- a confiscation linked to the concealed concern, and its custody events;
- evidence on the concern, its triage, action and referral entries, its closure with lessons
  learnt, which opens a review of the school's policy (the policy page, the policy list and the
  report's "reviews opened" are in the snapshot; the policy is already under review, as a
  review started by hand would put it, since that status is the school's business and no
  secret);
- its retention batch, then its destruction (with the linked confiscation).

Every snapshot must equal the first. CSRF tokens and CSP nonces are normalised; the access
log is not written by the probe's own requests (it is the probe, not the world).
"""

import difflib
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from devices import services as devices_services
from devices.models import CustodyState
from incidents import services as incidents_services
from incidents.models import Concern, Entry
from incidents.retention import destroy_concerns
from incidents.visibility import can_triage
from people.calendar import SchoolCalendar
from people.models import Term
from policies.models import Policy
from policies.services import policy_review_start
from roper.models import RetentionBatch
from roper.permissions import member_of
from roper.retention import retention_destroy, retention_find
from tests.conftest import PERSONAS, World
from tests.factories import MembershipFactory, ratified_policy, report
from tests.test_access_matrix import CASES

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
POLICY = "mobile-technology"
VIEWERS = [*PERSONAS, "outsider", "subject", "trust_governor"]


# -- the world ------------------------------------------------------------------------------


@pytest.fixture
def secrecy_world(frozen, world, settings, tmp_path):
    """The conftest world (two schools of a trust, a user per persona), with terms around
    today, a staff member to be a subject, a trust-level governor and a colleague at the
    other school; plus records each persona may see, so their pages are not empty."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    school, other, users = world.school, world.other_school, world.users
    users["subject"] = MembershipFactory(
        school=school, roles=["staff"], user__username="subject"
    ).user
    users["trust_governor"] = MembershipFactory(
        school=None, trust=school.trust, roles=["governor"], user__username="trust_governor"
    ).user
    users["colleague"] = MembershipFactory(
        school=other, roles=["staff", "deputy_dsl"], user__username="colleague"
    ).user
    today = SchoolCalendar.today()
    for s in (school, other):
        Term.objects.create(
            school=s,
            season="summer",
            starts_on=today - timedelta(days=150),
            ends_on=today - timedelta(days=60),
        )
        Term.objects.create(
            school=s,
            season="autumn",
            starts_on=today - timedelta(days=30),
            ends_on=today + timedelta(days=30),
        )
    # A policy under review in each school, that the concealed concern's lessons learnt
    # will add a trigger to.
    for s in (school, other):
        policy_review_start(
            policy=ratified_policy(s, title="Mobile Technology", slug=POLICY), by=users["admin"]
        )
    # Visible records: a learner concern with a confiscation, in each school.
    for s, learner, by in (
        (school, world.learner, users["teacher"]),
        (other, world.other_learner, users["colleague"]),
    ):
        concern = report(s, by, "social_media", people=[(learner, "child")])
        devices_services.confiscation_record(
            learner=learner,
            device="Blue Samsung",
            reason="Messages in class",
            by=by,
            held_at="Office drawer",
            concern=concern,
        )
    return world


# -- snapshots ------------------------------------------------------------------------------

_VOLATILE = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'), 'name="csrfmiddlewaretoken"'),
    (re.compile(r'nonce="[^"]*"'), 'nonce=""'),
    # A create form's one-time key (roper.once) is new in every render.
    (re.compile(r'name="_once" value="[^"]*"'), 'name="_once"'),
    # The passphrase a transfer form suggests is drawn afresh in every render (transfers/).
    (re.compile(r'name="passphrase" value="[^"]*"'), 'name="passphrase"'),
    (re.compile(r'"X-CSRFToken": "[^"]*"'), '"X-CSRFToken": ""'),
]


def _normalise(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _reachable_urls(world, user) -> list[str]:
    """Every GET of the access matrix built for this user (each case's records are made, so
    that pages are not empty), and the report's exports. The pages the matrix says a persona
    may not open (tests/test_access_matrix.py checks that they do not) are left out."""
    urls = []
    for key in sorted(CASES):
        case = CASES[key]
        if case.method != "get":
            continue
        try:
            with transaction.atomic():
                url = case.build(world, user)
        except IntegrityError:
            continue  # a second case building the same fixed record (e.g. a policy's slug)
        if case.expect.get(user.username, 200) == 200:
            urls.append(url)
    report_url = reverse("reports:governors")
    urls += [f"{report_url}?term=now", f"{report_url}?term=now&format=csv"]
    urls += [f"{report_url}?format=csv", f"{report_url}?term=now&format=pdf"]
    urls += [f"{reverse('reports:trust')}?format=csv"]
    evidence = reverse("reports:evidence")  # the phone-free school evidence pack (issue 18)
    urls += [f"{evidence}?term=now", f"{evidence}?term=now&format=csv"]
    urls += [f"{reverse('devices:confiscations')}?show=all"]
    urls += [reverse("policies:detail", args=[POLICY]), reverse("policies:list")]
    return list(dict.fromkeys(urls))


@dataclass
class Probe:
    """What one viewer can reach: the pages that open for them, and their emails."""

    world: World
    user: object
    client: object
    urls: list[str] = field(default_factory=list)

    def open(self):
        self.client.force_login(self.user)
        found = _reachable_urls(self.world, self.user)
        # Only what opens for the viewer (pages of records they can see). This first visit
        # also settles what a first view changes (a visible concern marked read).
        self.urls = [u for u in found if self.client.get(u).status_code == 200]

    def snapshot(self) -> dict[str, str]:
        shot = {}
        for url in self.urls:
            response = self.client.get(url)
            body = b"".join(response) if response.streaming else response.content
            shot[url] = f"{response.status_code}\n" + _normalise(body.decode("utf-8", "replace"))
        shot["emails"] = "\n---\n".join(
            f"{m.subject}\n{m.body}" for m in mail.outbox if self.user.email in m.to
        )
        return shot


@pytest.fixture
def frozen():
    """The clock stands still: 'now' on a page (a form's default time, "updated at", "in 23
    hours") is the same in every snapshot."""
    with time_machine.travel(timezone.now().replace(second=0, microsecond=0), tick=False):
        yield


@pytest.fixture
def quiet_access_log(monkeypatch):
    """The probe's own page views are not part of the world: they write no access log."""
    monkeypatch.setattr("roper.models.AccessLog.record_accesses", classmethod(lambda *a, **k: []))


@pytest.fixture
def pdf_as_html(monkeypatch):
    """The PDF export, as the HTML it is printed from (weasyprint is slow; its input is what
    reaches the viewer)."""

    class HTML:
        def __init__(self, string, base_url=None):
            self.string = string

        def write_pdf(self, **options):
            return self.string.encode()

    import weasyprint

    monkeypatch.setattr(weasyprint, "HTML", HTML)


def _diff(before: dict, after: dict) -> list[str]:
    """For each view that changed, its URL and the first changed lines."""
    out = []
    for url, text in before.items():
        if after.get(url) != text:
            lines = difflib.unified_diff(
                text.splitlines(), after.get(url, "").splitlines(), lineterm="", n=0
            )
            changed = [line for line in lines if line[:1] in "+-" and line[:3] not in "+++---"]
            out.append(f"{url}: " + " | ".join(line.strip() for line in changed[:6]))
    return out


# -- the hidden records ---------------------------------------------------------------------


def _school_of(world, viewer):
    return world.other_school if viewer.username == "outsider" else world.school


def _someone_else(world, viewer, school, *names):
    """The first of `names` who is not the viewer and belongs to `school`."""
    for name in names:
        user = world.users[name]
        if user != viewer and school.pk in member_of(user):
            return user
    raise AssertionError("no one else to act")


def _triager(world, concern, viewer):
    for name in ("chair", "head", "dsl", "deputy_dsl", "outsider", "colleague"):
        user = world.users[name]
        if user != viewer and can_triage(user, concern):
            return user
    return _someone_else(world, viewer, concern.school, "dsl", "deputy_dsl", "colleague")


def _subject_concern(world, viewer) -> Concern:
    """A concern naming the viewer as the alleged person (about the head, for the head)."""
    school = _school_of(world, viewer)
    reporter = _someone_else(world, viewer, school, "teacher", "office", "colleague")
    key = "about_head" if viewer.username in ("head", "outsider") else "staff_online_conduct"
    return report(
        school,
        reporter,
        key,
        people=[(viewer, "alleged")],
        what_happened="Sent a learner a private message late at night.",
    )


def _other_school_concern(world, viewer) -> Concern:
    if viewer.username == "outsider":
        return report(world.school, world.users["teacher"], people=[(world.learner, "child")])
    return report(
        world.other_school, world.users["colleague"], people=[(world.other_learner, "child")]
    )


CREATED = [
    "concern naming the viewer (about the head, for the head)",
    "concern of another school",
    "confiscation linked to the concealed concern",
    "evidence on it",
    "triage entry",
    "referral entry",
    "action entry",
]
EDITED = [
    "custody event: secured",
    "custody event: handed to police",
    "note on the other school's concern",
    "closure (found malicious, lessons learnt opening a policy review)",
    "retention batch",
]
DESTROYED = ["retention destruction (concern, entries, evidence, confiscation, custody)"]


def _lifecycle(world, viewer, capture):
    """Yield (step, record kinds) as the concealed records are created, edited, destroyed:
    one snapshot per step keeps the test fast; the diff names the views that moved."""
    school = _school_of(world, viewer)
    learner = world.other_learner if school == world.other_school else world.learner
    with capture(execute=True):
        concern = _subject_concern(world, viewer)
        elsewhere = _other_school_concern(world, viewer)

    triager = _triager(world, concern, viewer)
    keeper = _someone_else(world, viewer, school, "dsl", "deputy_dsl", "colleague", "outsider")
    with capture(execute=True):
        device = devices_services.confiscation_record(
            learner=learner,
            device="Red iPhone",
            reason="Holds the messages sent to the learner",
            reason_kind="abuse",
            by=keeper,
            held_at="Head's office",
            concern=concern,
        )
        incidents_services.concern_add_information(
            concern=concern,
            by=concern.reporter,
            text="A screenshot of the message.",
            files=[SimpleUploadedFile("message.png", PNG)],
        )
        incidents_services.concern_record(
            concern=concern,
            by=triager,
            kind=Entry.Kind.TRIAGE,
            fields={"risk_level": "high", "owner": triager, "text": "LADO to be called."},
        )
        incidents_services.concern_record(
            concern=concern,
            by=triager,
            kind=Entry.Kind.REFERRAL,
            fields={
                "referral": "lado",
                "referred_at": timezone.now(),
                "police_reference": "",
                "referral_outcome": "Advice given",
                "text": "",
            },
        )
        incidents_services.concern_record(
            concern=concern,
            by=triager,
            kind=Entry.Kind.ACTION,
            fields={"text": "Interview", "assignee": triager, "action_due": None},
        )
    yield "create", CREATED
    with capture(execute=True):
        devices_services.confiscation_move(
            confiscation=device, to_state=CustodyState.SECURED, by=keeper, location="Safe"
        )
        devices_services.confiscation_move(
            confiscation=device,
            to_state=CustodyState.POLICE,
            by=keeper,
            officer="PC Smith",
            force="Kent Police",
            reference="KP/1",
            seal_number="S1",
        )
        incidents_services.concern_record(
            concern=elsewhere,
            by=_triager(world, elsewhere, viewer),
            kind=Entry.Kind.NOTE,
            fields={"text": "Checked."},
        )
        incidents_services.concern_close(
            concern=concern,
            by=triager,
            decision="No further action",
            reason="The message was sent by someone else",
            outcome="Closed",
            finding=Concern.Finding.MALICIOUS,
            lessons_learnt="Messages to learners at night must be reported the same day.",
            policy=Policy.objects.get(school=school, slug=POLICY),
        )
        retention_find(school=school, today=SchoolCalendar.today())
    yield "edit", EDITED
    batch = next(
        b
        for b in RetentionBatch.objects.filter(school=school, status="pending")
        if concern.pk in b.object_ids
    )
    destroyer = _someone_else(world, viewer, school, "dsl", "deputy_dsl", "outsider", "colleague")
    with capture(execute=True):
        retention_destroy(batch=batch, by=destroyer)
        destroy_concerns(Concern.objects.filter(pk=elsewhere.pk))
    yield "destroy", DESTROYED


# -- the property ---------------------------------------------------------------------------


@pytest.mark.parametrize("viewer_name", VIEWERS)
def test_a_record_hidden_from_someone_changes_nothing_they_can_reach(
    viewer_name,
    secrecy_world,
    client,
    quiet_access_log,
    pdf_as_html,
    django_capture_on_commit_callbacks,
    record_property,
):
    world = secrecy_world
    viewer = world.users[viewer_name]
    probe = Probe(world, viewer, client)
    probe.open()
    # (An unstable probe, a page that changes by itself, fails the first step's comparison.)
    before = probe.snapshot()
    changed, pairs = [], 0
    for step, kinds in _lifecycle(world, viewer, django_capture_on_commit_callbacks):
        after = probe.snapshot()
        pairs += len(kinds)
        changed += [f"after {step} ({', '.join(kinds)}): {line}" for line in _diff(before, after)]
    # Summed over the run (xdist workers included) by tests/secrecy/summary.py.
    record_property("secrecy_pairs", pairs)
    record_property("secrecy_views", len(before))
    assert not changed, f"{viewer_name} could see these change:\n" + "\n".join(changed)
