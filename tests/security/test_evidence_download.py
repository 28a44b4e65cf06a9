"""Evidence is downloaded under a name of Roper's and as the type its bytes show, whatever
the uploader called it: an HTML page named photo.jpg or a program named report.pdf (stored
before the upload checks existed, or changed on disk) is served as opaque bytes, never run
or rendered by the browser."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from incidents.models import Evidence
from tests.factories import learner_concern
from tests.incidents.test_views import PDF, PNG
from tests.security.test_uploads import EXE

pytestmark = pytest.mark.django_db

HTML = b"<html><script>alert(document.cookie)</script></html>"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


def _download(world, client, name, content, recorded_type):
    concern = learner_concern(world)
    evidence = Evidence(
        concern=concern,
        original_name=name,
        content_type=recorded_type,
        size=len(content),
        uploaded_by=world.users["teacher"],
    )
    evidence.file.save("stored", ContentFile(content), save=False)
    evidence.save()
    client.force_login(world.users["dsl"])
    response = client.get(reverse("incidents:evidence", args=[evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content  # the evidence itself, unchanged
    return response, f"concern-{concern.pk}-evidence-{evidence.pk}"


@pytest.mark.parametrize(
    ("name", "content", "recorded_type", "served", "extension"),
    [
        ("photo.jpg", HTML, "image/jpeg", "application/octet-stream", "bin"),
        ("report.pdf", EXE, "application/pdf", "application/octet-stream", "bin"),
        ("screen.pdf.exe", PNG, "image/png", "image/png", "png"),
        ("notes.html", PDF, "application/pdf", "application/pdf", "pdf"),
    ],
)
def test_evidence_is_served_by_what_it_is_under_a_safe_name(
    name, content, recorded_type, served, extension, world, client
):
    response, safe_name = _download(world, client, name, content, recorded_type)
    assert response["Content-Type"] == served
    assert response["Content-Disposition"] == f'attachment; filename="{safe_name}.{extension}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert name not in response["Content-Disposition"]
