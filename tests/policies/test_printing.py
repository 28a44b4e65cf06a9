import re
import shutil
import subprocess
import zlib
from pathlib import Path

from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.factories import ratified_policy


def _pdf_title(pdf: bytes) -> str:
    """The document title in the PDF's metadata (pypdf/pdftotext are not installed here)."""
    chunks = [pdf]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(stream))
        except zlib.error:
            continue
    for chunk in chunks:
        if m := re.search(rb"/Title\s*<([0-9A-Fa-f]+)>", chunk):
            return bytes.fromhex(m[1].decode()).decode("utf-16")
        if m := re.search(rb"/Title\s*\((.*?)\)", chunk):
            return m[1].decode("latin-1")
    return ""


def test_the_pdf_download_is_a_pdf_with_the_policy_title(world, governor, client):
    policy = ratified_policy(world.school, title="Mobile Technology Policy", slug="mobile")
    client.force_login(governor)
    response = client.get(reverse("policies:pdf", args=[policy.slug]))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="mobile.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 1000
    assert _pdf_title(response.content) == "Mobile Technology Policy"
    if pdftotext := shutil.which("pdftotext"):  # poppler-utils: by .ci/run, not everywhere
        text = subprocess.run(  # noqa: S603 - a fixed local binary and our own PDF
            [pdftotext, "-", "-"], input=response.content, capture_output=True, check=True
        ).stdout.decode()
        assert "Mobile Technology Policy" in text
        assert "Learners hand their phones in at the office." in text


def test_the_policy_page_has_a_print_stylesheet(world, teacher, client):
    policy = ratified_policy(world.school, title="Mobile", slug="mobile")
    client.force_login(teacher)
    html = client.get(policy.get_absolute_url()).content.decode()
    assert "css/policies.css" in html
    assert "@media print" in Path(finders.find("css/policies.css")).read_text()
    assert 'class="d-flex flex-wrap gap-2 mb-3 no-print"' in html
