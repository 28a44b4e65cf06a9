"""The school's admin imports a 2,000-row SIMS export through the browser: a preview, then
Apply, with the progress shown while a real Celery worker applies it, in under ten seconds;
the same file again changes nothing."""

import re
import time

import pytest
from playwright.sync_api import expect

from people.models import Learner
from tests.e2e.conftest import check_accessibility
from tests.people.importing import sims_file

pytestmark = [pytest.mark.usefixtures("demo"), pytest.mark.redis]


def _upload(page, live_server, path):
    page.goto(f"{live_server.url}/people/import/")
    page.get_by_label("CSV file exported from the MIS").set_input_files(str(path))
    page.get_by_role("button", name="Preview the import").click()
    page.wait_for_url(re.compile(r"/people/import/\d+/$"))


def test_a_2000_row_sims_file_is_imported_with_progress_in_ten_seconds_and_again_changes_nothing(
    page, sign_in, live_server, tmp_path
):
    from celery.contrib.testing.worker import start_worker

    from roper.celery import app

    path = tmp_path / "sims-roll.csv"
    path.write_text(sims_file(2000), encoding="utf-8")
    sign_in("admin")
    page.goto(f"{live_server.url}/people/import/")
    check_accessibility(page)
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        started = time.monotonic()
        _upload(page, live_server, path)
        expect(page.locator("#import-summary")).to_contain_text("2000 learners to add")
        check_accessibility(page)
        page.get_by_role("button", name=re.compile(r"^Apply")).click()
        expect(page.get_by_text(re.compile(r"Applying: \d+ of 2000 rows"))).to_be_visible()
        expect(page.locator("#import-status")).to_have_text("Applied", timeout=10_000)
        elapsed = time.monotonic() - started

        assert elapsed <= 10, f"the import took {elapsed:.1f} s"
        assert (
            Learner.objects.filter(legal_first_name__startswith="Child", active=True).count()
            == 2000
        )

        _upload(page, live_server, path)
        expect(page.locator("#no-changes")).to_be_visible()
        expect(page.locator("#import-summary")).to_contain_text("2000 unchanged")
