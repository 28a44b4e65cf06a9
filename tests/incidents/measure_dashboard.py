"""Measure the triage dashboard with many concerns (not a test; run it by hand):

    DEBUG=true TWO_FACTOR_ENFORCED=false DATABASE_URL=sqlite:////tmp/roper_bench.sqlite3 \
        .venv/bin/python -m tests.incidents.measure_dashboard 10000

It migrates and seeds the demo into that database, bulk-creates N concerns at Anthony Roper
Primary School, and times the dashboard (full page and htmx refresh) as the headteacher/DSL.
"""

import os
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roper.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from incidents.models import Concern  # noqa: E402
from people.demo import seed_people  # noqa: E402
from tests.incidents.bulk import bulk_concerns  # noqa: E402


def main(count: int) -> None:
    call_command("migrate", verbosity=0)
    demo = seed_people()
    call_command("seed_demo", verbosity=0)
    have = Concern.objects.filter(school=demo.school).count()
    if have < count:
        started = time.perf_counter()
        learner = demo.school.learners.first()
        bulk_concerns(demo.school, demo.users["teacher"], learner, count - have)
        print(f"bulk_create {count - have} concerns: {time.perf_counter() - started:.2f} s")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(demo.users["head"])
    for label, headers in (("page", {}), ("htmx", {"HTTP_HX_REQUEST": "true"})):
        client.get("/incidents/dashboard/", **headers)  # warm up
        timings = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get("/incidents/dashboard/", **headers)
                timings.append(time.perf_counter() - started)
            assert response.status_code == 200, (response.status_code, response.get("Location"))
        timings.sort()
        print(
            f"{connection.vendor} {Concern.objects.count()} concerns, dashboard {label}: "
            f"{len(queries)} queries, median {timings[2] * 1000:.0f} ms, "
            f"max {timings[-1] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
