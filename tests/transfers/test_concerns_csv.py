"""Concerns from another system as CSV (issue 19): all or nothing, every bad line listed with
its number, a file imported twice refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from incidents.models import Concern, Entry
from transfers.concerns_csv import CsvImportError, concerns_csv_import

pytestmark = pytest.mark.django_db

HEADER = "reference,upn,category,reported_at,what_happened,where,status,outcome,referral\n"


def _good(world):
    upn = world.learner.upn
    return (
        HEADER
        + f"C-101,{upn},social_media,2025-03-04 10:15,Messages from an older boy,Class 5,closed,"
        "Parents told,parents\n"
        + f"C-102,{upn},Abusive or inappropriate messages (§5.1),04/05/2025 09:00,"
        '"Sent, at night",,open,,\n'
    )


def test_a_good_file_makes_every_concern(world):
    done = concerns_csv_import(school=world.school, text=_good(world), by=world.users["dsl"])
    assert done.manifest["rows"] == 2
    concerns = Concern.objects.filter(school=world.school).order_by("reported_at")
    assert [c.what_happened for c in concerns] == ["Messages from an older boy", "Sent, at night"]
    first, second = concerns
    assert first.status == "closed" and first.outcome == "Parents told"
    assert first.involvements.get().learner == world.learner
    assert first.entries.filter(kind=Entry.Kind.REFERRAL, referral="parents").exists()
    assert "reference C-101" in first.entries.get(kind=Entry.Kind.NOTE).text
    assert second.status == "in_progress" and second.where == "Not recorded"


def test_bad_lines_are_all_listed_and_nothing_is_imported(world):
    upn = world.learner.upn
    text = (
        HEADER
        + f"C-1,{upn},social_media,2025-03-04 10:15,Fine,,closed,,\n"
        + "C-2,Z999999999999,social_media,2025-03-04,Unknown child,,closed,,\n"
        + f"C-3,{upn},no_such_category,2025-03-04,Bad category,,closed,,\n"
        + f"C-4,{upn},social_media,yesterday,Bad date,,closed,,\n"
        + f"C-1,{upn},social_media,2025-03-04,Twice,,closed,,\n"
        + f"C-5,{upn},staff_online_conduct,2025-03-04,About staff,,closed,,\n"
    )
    with pytest.raises(CsvImportError) as refused:
        concerns_csv_import(school=world.school, text=text, by=world.users["dsl"])
    problems = refused.value.problems
    assert [p.split(":")[0] for p in problems] == [
        "Line 3",
        "Line 4",
        "Line 5",
        "Line 6",
        "Line 7",
    ]
    assert "no learner on roll here has the UPN Z999999999999" in problems[0]
    assert "also on line 2" in problems[3]
    assert "allegation about staff" in problems[4]
    assert not Concern.objects.filter(school=world.school).exists()


def test_a_missing_column_is_named(world):
    with pytest.raises(CsvImportError, match="missing the column.*what_happened"):
        concerns_csv_import(
            school=world.school, text="reference,upn,category,reported_at\n", by=world.users["dsl"]
        )


def test_the_same_file_twice_is_refused(world):
    concerns_csv_import(school=world.school, text=_good(world), by=world.users["dsl"])
    with pytest.raises(CsvImportError, match="imported already"):
        concerns_csv_import(school=world.school, text=_good(world), by=world.users["dsl"])
    assert Concern.objects.filter(school=world.school).count() == 2


def test_the_page_lists_the_bad_lines(world, client):
    client.force_login(world.users["dsl"])
    bad = HEADER + "C-1,Z999999999999,social_media,2025-03-04,x,,closed,,\n"
    response = client.post(
        reverse("transfers:import_concerns"), {"file": SimpleUploadedFile("c.csv", bad.encode())}
    )
    page = response.content.decode()
    assert "Nothing was imported" in page and "Line 2: no learner on roll" in page


def test_the_command_imports_or_says_why_not(world, tmp_path):
    path = tmp_path / "concerns.csv"
    path.write_text(_good(world))
    call_command("import_concerns", str(path), school=world.school.urn, user="dsl")
    assert Concern.objects.filter(school=world.school).count() == 2
    with pytest.raises(CommandError, match="imported already"):
        call_command("import_concerns", str(path), school=world.school.urn, user="dsl")
