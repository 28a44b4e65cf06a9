"""Governor: opens last term's report, sees the charts, downloads the PDF — and sees no child's
name anywhere, on the page or in the PDF (§4)."""

import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from people.models import Learner
from tests.e2e.conftest import check_accessibility, screenshot

pytestmark = pytest.mark.usefixtures("demo")  # the demo, as seed_demo makes it

LONDON = ZoneInfo("Europe/London")
AUTUMN = datetime(2026, 11, 25, 16, 0, tzinfo=LONDON)  # last term: summer 2026


def _names_of_people():
    """Every demo learner's full name (legal and preferred) and every other account's name."""
    names = set()
    for learner in Learner.objects.all():
        names.add(f"{learner.legal_first_name} {learner.legal_last_name}")
        names.add(learner.name)
    staff = {
        u.get_full_name()
        for u in get_user_model().objects.exclude(username="governor")
        if u.get_full_name()
    }
    return names, staff


def _pdf_text(path):
    pdftotext = shutil.which("pdftotext")  # poppler-utils: installed by .ci/run
    if not pdftotext:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(  # noqa: S603 - a fixed local binary and the PDF we downloaded
        [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_a_governor_reads_last_terms_report_without_a_name_in_it(page, live_server, sign_in):
    with time_machine.travel(AUTUMN, tick=True):
        learners, staff = _names_of_people()
        sign_in("governor")
        assert page.url.endswith("/reports/governors/")  # governors land on their report
        expect(page.get_by_role("heading", level=1)).to_contain_text("report to governors")
        expect(page.get_by_label("Term").locator("option:checked")).to_have_text("Summer 2026")
        expect(page.locator(".report-period")).to_contain_text("Summer 2026 (")

        # The charts are SVG drawings with a name a screen reader announces.
        charts = page.locator("svg.report-chart")
        assert charts.count() >= 1
        for chart in charts.all():
            expect(chart).to_be_visible()
            expect(chart).to_have_attribute("role", "img")
            expect(chart).to_have_accessible_name(re.compile(r"\w"))
        check_accessibility(page)
        screenshot(page, "governor-report", full_page=False)

        # No child, and no member of staff, is named on the page.
        text = page.locator("main").inner_text()
        assert [n for n in learners if n in text] == []
        assert [n for n in staff if n in text] == []

        # Making the PDF takes seconds: the link says so, then the file downloads.
        link = page.get_by_role("link", name="Download PDF")
        with page.expect_download() as download:
            link.click()
            expect(link).to_have_attribute("aria-busy", "true")
            expect(page.get_by_role("status").filter(has_text="Preparing the PDF")).to_be_visible()
        pdf = download.value
        expect(page.get_by_role("status").filter(has_text="PDF ready")).to_be_visible()
        assert pdf.suggested_filename.endswith("summer-2026.pdf")
        path = pdf.path()
        assert Path(path).read_bytes()[:5] == b"%PDF-"
        pdf_text = _pdf_text(path)
        assert "Summer 2026" in pdf_text
        assert [n for n in learners if n in pdf_text] == []
        assert [n for n in staff if n in pdf_text] == []

        # A governor reads figures, not concerns.
        response = page.goto(f"{live_server.url}/incidents/dashboard/")
        assert response.status == 403
        expect(page.locator("main")).to_contain_text("You cannot open this page")
        check_accessibility(page)
