"""Every upload in Roper refuses the wrong type, a disguised type, an oversized file and an
empty one, with a message, and saves nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incidents.models import Concern
from policies.models import Policy
from tests.incidents.test_views import PDF, PNG, _form

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100
ZIP = b"PK\x03\x04" + b"\x00" * 100

REFUSED = [
    ("wrong type", "virus.exe", EXE, "virus.exe is not"),
    ("disguised type", "photo.jpg", b"<html><script>alert(1)</script></html>", "photo.jpg is not"),
    ("disguised archive", "report.pdf", ZIP, "report.pdf is not"),
    ("zero bytes", "empty.pdf", b"", "is empty"),  # Django's own check says it first
]


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.mark.parametrize(("case", "name", "content", "message"), REFUSED)
def test_concern_evidence_refuses(case, name, content, message, world, as_user):
    client = as_user(world.users["teacher"])
    upload = SimpleUploadedFile(name, content, "application/pdf")
    response = client.post(reverse("incidents:new"), _form(world, evidence=[upload]))
    assert response.status_code == 200
    assert message in response.text
    assert not Concern.objects.exists()


def test_concern_evidence_refuses_an_oversized_file(world, as_user, monkeypatch):
    monkeypatch.setattr("incidents.services.MAX_EVIDENCE_BYTES", 1024 * 1024)
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024 + 1))
    response = as_user(world.users["teacher"]).post(
        reverse("incidents:new"), _form(world, evidence=[big])
    )
    assert "big.pdf is larger than 1 MB" in response.text
    assert not Concern.objects.exists()


def test_concern_evidence_takes_a_real_image(world, as_user):
    response = as_user(world.users["teacher"]).post(
        reverse("incidents:new"), _form(world, evidence=[SimpleUploadedFile("p.png", PNG)])
    )
    assert response.status_code == 302
    assert Concern.objects.get().evidence.get().content_type == "image/png"


def _listed_policy(client, upload):
    return client.post(
        reverse("policies:create"),
        {
            "title": "Image use policy",
            "listed_only": "on",
            "ratified_on": "2026-02-01",
            "next_review_on": "2027-01-31",
            "file": upload,
        },
    )


@pytest.mark.parametrize(("case", "name", "content", "message"), REFUSED)
def test_a_policy_file_refuses(case, name, content, message, world, as_user):
    response = _listed_policy(
        as_user(world.users["head"]), SimpleUploadedFile(name, content, "application/pdf")
    )
    assert response.status_code == 200
    assert message in response.text
    assert not Policy.objects.filter(title="Image use policy").exists()


def test_a_policy_file_refuses_an_oversized_file(world, as_user, monkeypatch):
    monkeypatch.setattr("policies.forms.MAX_POLICY_FILE_BYTES", 1024 * 1024)
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024 + 1))
    response = _listed_policy(as_user(world.users["head"]), big)
    assert "big.pdf is larger than 1 MB" in response.text
