# ruff: noqa: E402 - Django is set up before the models are imported
"""Time and queries of the governors' report on the demo data and on the bulk data of
`tests/reports/bulk_report.py` (see there how to run it). Not a test."""

import os
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roper.settings")
sys.path.insert(0, "/work/main")
django.setup()
from django.conf import settings

settings.TWO_FACTOR_ENFORCED = False
settings.ALLOWED_HOSTS = ["*"]
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment

from people.models import Membership, School, Term, Trust

setup_test_environment()
import logging

logging.disable(logging.INFO)
User = get_user_model()


def run(user, url, label, n=5):
    c = Client()
    c.force_login(user)
    c.get(url)  # warm
    times = []
    for _ in range(n):
        t = time.perf_counter()
        with CaptureQueriesContext(connection) as q:
            r = c.get(url)
        times.append(time.perf_counter() - t)
    assert r.status_code == 200, (url, r.status_code)
    print(
        f"{label:55s} {connection.vendor:10s} "
        f"median {statistics.median(times) * 1000:7.0f} ms  queries {len(q.captured_queries)}"
    )


gov = User.objects.get(username="governor")
run(gov, "/reports/governors/", "demo: last term page (governor)")
run(gov, "/reports/governors/?format=csv", "demo: last term CSV")
run(gov, "/reports/governors/?format=pdf", "demo: last term PDF", n=3)
trustee = User.objects.get(username="trustee")
run(trustee, "/reports/governors/trust/", "demo: trust view (2 schools)")
bench = School.objects.filter(name__startswith="Bench school").order_by("pk")
if bench.exists():
    u, _ = User.objects.get_or_create(username="bench_governor")
    Membership.objects.get_or_create(
        user=u, trust=Trust.objects.get(name="Bench trust"), defaults={"roles": ["governor"]}
    )
    term = Term.objects.get(school=bench[0], season="summer", starts_on__year=2026)
    run(u, f"/reports/governors/?term={term.pk}", "bulk: one school, summer 2026 page")
    run(u, f"/reports/governors/?term={term.pk}&format=csv", "bulk: one school, CSV")
    run(u, f"/reports/governors/?term={term.pk}&format=pdf", "bulk: one school, PDF", n=3)
    run(
        u,
        "/reports/governors/trust/?term=summer-2026",
        f"bulk: trust of {bench.count()} schools, page",
        n=3,
    )
