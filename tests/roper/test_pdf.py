"""Roper's PDFs are tagged PDF/UA-1, so a screen reader can read them (issue 16)."""

import shutil
import subprocess

import pytest
from django.urls import reverse

from tests.conftest import IN_CI
from tests.factories import ratified_policy


def pdf_info(content: bytes, *args) -> str:
    tool = shutil.which("pdfinfo")
    if tool is None:
        if IN_CI:
            pytest.fail("CI=true and pdfinfo (poppler-utils, installed by .ci/run) is missing")
        pytest.skip("needs pdfinfo (poppler-utils)")
    return subprocess.run(  # noqa: S603 - a fixed local binary and our own PDF
        [tool, *args, "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def assert_accessible_pdf(content: bytes, title: str) -> None:
    info = pdf_info(content)
    assert "Tagged:          yes" in info
    assert f"Title:           {title}\n" in info
    assert 'pdfuaid:part="1"' in pdf_info(content, "-meta")


def test_the_policy_pdf_is_tagged_pdf_ua(world, governor, client):
    policy = ratified_policy(world.school, title="Mobile Technology Policy", slug="mobile")
    client.force_login(governor)
    response = client.get(reverse("policies:pdf", args=[policy.slug]))
    assert_accessible_pdf(response.content, "Mobile Technology Policy")
