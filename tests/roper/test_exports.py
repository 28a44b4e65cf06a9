"""Exports people open in Excel: every CSV starts with a UTF-8 byte-order mark (else Excel
garbles "Zoë"), a cell typed to start with = + - or @ is text, not a formula, and the concerns
file holds only what its reader may see."""

import csv
import io

import pytest
from django.urls import reverse

from roper.exports import BOM, cell
from tests.factories import confiscation, head_allegation, learner_concern, ratified_policy, report

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith(BOM), "no byte-order mark: Excel would not read it as UTF-8"
    return list(csv.reader(io.StringIO(text.removeprefix(BOM))))


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)"])
def test_a_cell_that_excel_would_run_is_written_as_text(typed):
    assert cell(typed) == "'" + typed
    assert cell("Zoë's phone") == "Zoë's phone"
    assert cell(-3) == -3  # a number stays a number


def test_the_confiscations_file_neutralises_a_formula_typed_as_the_device(world, as_user):
    confiscation(world.learner, world.users["teacher"], device="=cmd|' /C calc'!A0")
    rows = _rows(as_user(world.users["office"]).get(reverse("devices:confiscations_csv")))
    assert rows[0][:3] == ["Number", "Confiscated", "Learner"]
    assert rows[1][2] == "Amelia Khan"
    assert rows[1][5] == "'=cmd|' /C calc'!A0"


def test_the_concerns_file_holds_only_the_concerns_its_reader_may_see(world, as_user):
    seen = learner_concern(world)
    about_the_head = head_allegation(world)
    other_school = report(world.other_school, world.users["outsider"])
    numbers = {
        persona: {row[0] for row in _rows(as_user(world.users[persona]).get(url))[1:]}
        for persona, url in [(p, reverse("incidents:concerns_csv")) for p in ("head", "chair")]
    }
    assert str(seen.pk) in numbers["head"]
    assert str(about_the_head.pk) not in numbers["head"]  # concealed from the head
    assert str(about_the_head.pk) in numbers["chair"]
    assert str(other_school.pk) not in numbers["head"] | numbers["chair"]


def test_a_concerns_row_holds_what_the_concern_says(world, as_user):
    """Each column of a concern's row, as the concern's page says it: its learners (their
    preferred first name, in the order they were named), who reported it and who owns it."""
    from django.utils import timezone

    from tests.factories import LearnerFactory

    second = LearnerFactory(
        school=world.school, legal_first_name="Robert", preferred_name="Bob", class_name="Ash"
    )
    concern = report(
        world.school,
        world.users["teacher"],
        people=[(world.learner, "child"), (second, "witness"), ("A visitor", "other")],
    )
    type(concern).objects.filter(pk=concern.pk).update(owner=world.users["dsl"])
    concern.refresh_from_db()
    rows = _rows(as_user(world.users["dsl"]).get(reverse("incidents:concerns_csv")))
    (row,) = [row for row in rows[1:] if row[0] == str(concern.pk)]
    local = timezone.localtime
    assert row == [
        str(concern.pk),
        local(concern.reported_at).strftime("%Y-%m-%d %H:%M"),
        concern.category.name,
        concern.get_status_display(),
        concern.get_risk_level_display(),
        f"Amelia Khan (Oak); Bob {second.legal_last_name} (Ash)",
        "Teacher Persona",
        "Dsl Persona",
        local(concern.deadline).strftime("%Y-%m-%d %H:%M") if concern.deadline else "",
        "",
        concern.what_happened,
    ]


def test_the_concerns_file_logs_each_concern_downloaded_in_the_same_queries_for_any_number(
    world, as_user
):
    """Each concern listed is logged as downloaded by its reader (AccessLog), all in one
    statement: logged one at a time, a school's 10,000 concerns took 9,000 queries and 9 s."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from roper.models import AccessLog

    client = as_user(world.users["head"])
    url = reverse("incidents:concerns_csv")
    counted = []
    for more in (1, 11):
        for _ in range(more):
            learner_concern(world)
        client.get(url)  # the session warmed
        before = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with CaptureQueriesContext(connection) as queries:
            listed = {row[0] for row in _rows(client.get(url))[1:]}
        counted.append(len(queries))
        logged = AccessLog.objects.filter(pk__gt=before, action=AccessLog.Action.DOWNLOAD)
        assert {str(pk) for pk in logged.values_list("object_id", flat=True)} == listed
        assert {(a.user, a.what) for a in logged} == {
            (world.users["head"], f"concern #{pk}") for pk in listed
        }
    assert len(listed) == 12
    assert counted[0] == counted[1], counted


def test_the_training_and_acknowledgement_files_name_the_staff(world, as_user):
    policy = ratified_policy(world.school, title="Mobile technology", slug="mobile-technology")
    client = as_user(world.users["head"])
    training = _rows(client.get(reverse("policies:training_csv")))
    assert training[0] == ["Staff member", "Sessions", "Last trained", "Refresher due", "Overdue"]
    names = {row[0] for row in training[1:]}
    assert world.users["teacher"].get_full_name() in names
    url = reverse("policies:acknowledgements_csv", args=[policy.slug, 1])
    acks = _rows(client.get(url))
    assert acks[0] == ["Staff member", "Acknowledged", "When"]
    assert [world.users["teacher"].get_full_name(), "No", ""] in acks


def test_accesses_logged_at_once_are_cleaned_as_save_cleans_them(world):
    """AccessLog.record_accesses sends pre_save as save() does: roper.text strips the
    bidirectional controls that could make a log line read backwards."""
    from roper.models import AccessLog

    (row,) = AccessLog.record_accesses(
        user=world.users["head"],
        model=type(world.learner),
        records=[(world.learner.pk, world.school, "concern #1\u202e2")],
    )
    assert AccessLog.objects.get(pk=row.pk).what == "concern #12"
