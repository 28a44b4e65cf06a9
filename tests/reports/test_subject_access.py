"""A subject access request (issue 19): everything Roper holds about a learner, for the DSL to
review and redact, with third parties flagged, on the secrecy rule, and written to the log."""

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from devices import services as devices_services
from incidents import services as incidents_services
from roper.models import AccessLog
from tests.factories import LearnerFactory, collector, report

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 64


@pytest.fixture
def held(world, settings, tmp_path):
    """Amelia's records: a parent, a phone handed in, a concern naming her and a witness (with
    a photo), a confiscation whose reason names another child, and an allegation about the
    headteacher naming her, with its own confiscation."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path
    w = world
    collector(w.learner, guardian__name="Sara Khan", relationship="Mother")
    devices_services.handover_check_in(learner=w.learner, by=w.users["office"])
    witness = LearnerFactory(school=w.school, legal_first_name="Bella", legal_last_name="Stone")
    LearnerFactory(school=w.school, legal_first_name="Carl", legal_last_name="Diaz")
    concern = report(
        w.school,
        w.users["teacher"],
        people=[(w.learner, "child"), (witness, "witness")],
        what_happened="Amelia was sent <b>messages</b> at night.",
    )
    incidents_services.concern_add_information(
        concern=concern,
        by=w.users["teacher"],
        text="The screenshot.",
        files=[SimpleUploadedFile("screen.png", PNG)],
    )
    devices_services.confiscation_record(
        learner=w.learner,
        device="Blue Samsung",
        reason="Showing Carl Diaz a video in maths",
        by=w.users["teacher"],
        held_at="Office drawer",
    )
    about_head = report(
        w.school,
        w.users["teacher"],
        "about_head",
        people=[(w.users["head"], "alleged"), (w.learner, "child")],
        what_happened="The head messaged Amelia late at night.",
    )
    devices_services.confiscation_record(
        learner=w.learner,
        device="Red iPhone",
        reason="Holds the head's messages",
        by=w.users["dsl"],
        held_at="DSL's safe",
        concern=about_head,
    )
    return concern, about_head


def _export(client, user, learner):
    client.force_login(user)
    url = reverse("reports:subject_access", args=[learner.pk])
    response = client.get(url + "?format=json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return json.loads(
        b"".join(response.streaming_content) if response.streaming else response.content
    )


def test_the_dsl_gets_everything_held_about_the_learner(world, held, client):
    """(The allegation about the headteacher is the chair's: the DSL's export has its device,
    which the DSL took, but not the concern, as their chronology does.)"""
    concern, _ = held
    data = _export(client, world.users["dsl"], world.learner)
    assert data["learner"]["UPN"] == world.learner.upn
    assert [p["name"] for p in data["parents_and_carers"]] == ["Sara Khan"]
    assert len(data["phone_handovers"]) == 1
    assert {c["device description"] for c in data["confiscations"]} == {
        "Blue Samsung",
        "Red iPhone",
    }
    assert all(c["custody"] for c in data["confiscations"])
    assert [c["number"] for c in data["concerns"]] == [concern.pk]
    mine = next(c for c in data["concerns"] if c["number"] == concern.pk)
    assert mine["what happened"] == "Amelia was sent <b>messages</b> at night."
    (photo,) = mine["evidence"]
    assert photo["SHA-256"] == hashlib.sha256(PNG).hexdigest()
    assert photo["original name"] == "screen.png"


def test_other_people_are_flagged_for_redaction(world, held, client):
    data = _export(client, world.users["dsl"], world.learner)
    flagged = {p["name"]: p["why"] for p in data["third_parties"]}
    assert "Witness in concern" in flagged["Bella Stone"]  # named in the concern
    assert flagged["Carl Diaz"] == "another learner, named in a record"  # in a device's reason
    assert world.learner.name not in flagged
    # The page marks them, and shows what staff typed as text, never as HTML.
    client.force_login(world.users["dsl"])
    page = client.get(reverse("reports:subject_access", args=[world.learner.pk])).content.decode()
    assert "Showing <mark>Carl Diaz</mark> a video in maths" in page
    assert "Amelia was sent &lt;b&gt;messages&lt;/b&gt; at night." in page


def test_what_is_concealed_from_the_head_is_not_in_the_heads_export(world, held, client):
    concern, about_head = held
    data = _export(client, world.users["head"], world.learner)
    assert {c["number"] for c in data["concerns"]} == {concern.pk}
    assert {c["device description"] for c in data["confiscations"]} == {"Blue Samsung"}
    assert "Holds the head's messages" not in json.dumps(data)


def test_every_export_is_in_the_access_log(world, held, client):
    _export(client, world.users["dsl"], world.learner)
    client.get(reverse("reports:subject_access", args=[world.learner.pk]))
    whats = list(AccessLog.objects.filter(user=world.users["dsl"]).values_list("what", "action"))
    assert (f"subject access export of learner {world.learner.pk} (JSON)", "download") in whats
    assert (f"subject access export of learner {world.learner.pk}", "view") in whats


def test_the_export_makes_as_many_queries_for_many_records_as_for_few(
    world, held, client, django_assert_max_num_queries
):
    client.force_login(world.users["dsl"])
    url = reverse("reports:subject_access", args=[world.learner.pk])
    client.get(url)  # the session, the first view
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(5):
        devices_services.confiscation_record(
            learner=world.learner,
            device="Phone",
            reason="In class",
            by=world.users["teacher"],
            held_at="Drawer",
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few), "\n".join(q["sql"][:150] for q in many.captured_queries)
    assert len(few) <= 40


#: Names that begin alike, one inside another, and with characters a regular expression reads
#: as its own; each with a text naming it.
NAMES = ["Ava Jones", "Ava Jones-Smith", "Ava Jo", "Avani Patel", "Zoë D'Arcy+Ng", "Bo Li"]
TEXTS = [
    "Seen with ava jones-smith and AVA JONES at the gate; Ava Jo was not.",
    "Avani Patel, Ava Johnson and Zoë D'Arcy+Ng in the hall; Bo Lin, Bo Li.",
    "no name here: Javan Jones, ava, jones",
]


def test_the_names_looked_for_are_matched_as_a_list_of_them_longest_first_would():
    """reports/subject_access.py `_alternation` (the names as a tree of their beginnings): the
    same matches, at the same places, as the names joined longest first, in any order given."""
    import re

    from reports.subject_access import _alternation

    def matches(alternation):
        pattern = re.compile(r"\b(" + alternation + r")\b", re.IGNORECASE)
        return [(m.start(), m[0]) for text in TEXTS for m in pattern.finditer(text)]

    by_length = sorted(NAMES, key=len, reverse=True)
    expected = matches("|".join(re.escape(name) for name in by_length))
    assert {(10, "ava jones-smith"), (30, "AVA JONES"), (29, "Zoë D'Arcy+Ng")} <= set(expected)
    for names in (NAMES, list(reversed(NAMES)), by_length):
        assert matches(_alternation(names)) == expected


def test_names_nested_too_deep_for_a_tree_are_still_matched():
    """Hundreds of names each the start of the next (typed on purpose): the pattern falls back
    to the plain list, and the longest name still matches."""
    import re

    from reports.subject_access import _alternation, names_pattern

    names = [("Ab" * n)[:n] + end for n in range(1, 402) for end in ("", " Cy")]
    with pytest.raises(RecursionError):
        re.compile(_alternation(names))  # the tree alone
    match = names_pattern(names).search("x " + names[-1] + " y")
    assert match and match[0] == names[-1]
