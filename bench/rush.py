"""The morning rush over HTTP: gunicorn serving Roper on PostgreSQL, N desks (one per school
of the trust part, each signed in through /accounts/login/ as that school's office) checking
learners in as fast as the server answers, for a fixed time.

The client is the standard library's `http.client` (one keep-alive connection per desk, one
thread per desk): on a 2-core machine shared with the server, the lightest client leaves the
most CPU to what is measured. Only 127.0.0.1 is ever contacted.
"""

import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

from django.db.models import Count
from django.utils import timezone

from bench.cases import today_clear
from bench.volume import BENCH_PASSWORD, Part
from devices.models import DeskEntry, Handover
from people.models import Learner, School

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
CSRF_IN_PAGE = re.compile(r'"X-CSRFToken": "([^"]+)"')
CSRF_IN_FORM = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Desk:
    """One office computer: a signed-in session on its own keep-alive connection."""

    def __init__(self, port: int, username: str, learners: list[int]):
        self.port, self.username, self.learners = port, username, learners
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.latencies: list[float] = []
        self.sent: list[int] = []  # learner ids answered "phone in"
        self.errors: list[str] = []

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            body = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
            raise
        data = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, data

    def sign_in(self):
        status, page = self.request("GET", "/accounts/login/")
        token = CSRF_IN_FORM.search(page).group(1)
        status, _ = self.request(
            "POST",
            "/accounts/login/",
            {"username": self.username, "password": BENCH_PASSWORD, "csrfmiddlewaretoken": token},
            {"Referer": f"http://{HOST}:{self.port}/accounts/login/"},
        )
        if status != 302:
            raise RuntimeError(f"{self.username}: sign-in answered {status}")
        status, page = self.request("GET", "/devices/desk/")
        if status != 200:
            raise RuntimeError(f"{self.username}: the desk answered {status}")
        self.csrf = CSRF_IN_PAGE.search(page).group(1)

    def run(self, until: float):
        headers = {"HX-Request": "true", "X-CSRFToken": self.csrf}
        # A fresh connection: gunicorn closes one idle for longer than its keep-alive (2 s).
        self.conn.close()
        self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        for learner in self.learners:
            if time.perf_counter() >= until:
                return
            started = time.perf_counter()
            try:
                status, body = self.request(
                    "POST", f"/devices/desk/{learner}/in/", {"tag": ""}, headers
                )
            except (http.client.HTTPException, OSError) as exc:
                self.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            self.latencies.append(time.perf_counter() - started)
            if status == 200 and "phone in." in body:
                self.sent.append(learner)
            else:
                self.errors.append(f"HTTP {status}: {body[:120]!r}")


@dataclass
class Server:
    port: int
    workers: int
    threads: int
    app: str = "roper.wsgi"
    process: subprocess.Popen | None = None
    env: dict = field(default_factory=dict)

    def start(self):
        env = {
            **os.environ,
            # The database this process uses (in the tests: the test database).
            "DATABASE_URL": database_url(),
            "DEBUG": "false",
            "HTTPS": "false",
            "TWO_FACTOR_ENFORCED": "false",
            "ALLOWED_HOSTS": HOST,
            "LOG_LEVEL": "WARNING",
        }
        env.setdefault("SECRET_KEY", "bench-only-not-secret")
        gunicorn = Path(sys.executable).parent / "gunicorn"
        self.process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
            [
                str(gunicorn),
                self.app,
                "-w",
                str(self.workers),
                "-k",
                "gthread",
                "--threads",
                str(self.threads),
                "-b",
                f"{HOST}:{self.port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited at start-up")
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def worker_rss_mb(self) -> list[float]:
        """RSS of each worker (the children of the master we started)."""
        out = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
            if fields.get("PPid", "").strip() == str(self.process.pid) and "VmRSS" in fields:
                out.append(round(int(fields["VmRSS"].split()[0]) / 1024, 1))
        return sorted(out)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor != "postgresql":
        raise RuntimeError("The rush runs against PostgreSQL.")
    auth = urllib.parse.quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else None


def rush(
    part: Part,
    *,
    seconds: float = 60,
    desks: int = 20,
    port: int = 8799,
    workers: int = 4,
    threads: int = 4,
    app: str = "roper.wsgi",
    log=print,
) -> dict:
    schools = list(School.objects.filter(trust__name=part.trust_name).order_by("name"))[:desks]
    school_ids = [s.pk for s in schools]
    cleared = today_clear(school_ids)
    if cleared:
        log(f"  cleared {cleared} handovers of today from an earlier run")
    server = Server(port, workers, threads, app)
    server.start()
    try:
        desk_list = []
        for n, school in enumerate(schools, start=1):
            learners = list(
                Learner.objects.filter(school=school, active=True)
                .order_by("?")
                .values_list("pk", flat=True)
            )
            desk = Desk(port, f"{part.key}-{n:02d}-office", learners)
            desk.sign_in()
            desk_list.append(desk)
        rss_before = server.worker_rss_mb()
        log(f"  {len(desk_list)} desks signed in; rushing for {seconds:.0f} s")
        started = time.perf_counter()
        until = started + seconds
        threads_ = [threading.Thread(target=d.run, args=(until,)) for d in desk_list]
        for t in threads_:
            t.start()
        for t in threads_:
            t.join()
        elapsed = time.perf_counter() - started
        rss_after = server.worker_rss_mb()
    finally:
        server.stop()
    latencies = [x for d in desk_list for x in d.latencies]
    sent = [x for d in desk_list for x in d.sent]
    errors = [x for d in desk_list for x in d.errors]
    day = timezone.localdate()
    today = Handover.objects.filter(school_id__in=school_ids, school_day=day)
    in_db = today.filter(undone_at__isnull=True).count()
    duplicates = (
        today.values("learner_id").annotate(n=Count("pk")).filter(n__gt=1).count()
        + len(sent)
        - len(set(sent))
    )
    entries = DeskEntry.objects.filter(handover__in=today, kind=DeskEntry.Kind.IN).count()
    missing = len(set(sent) - set(today.values_list("learner_id", flat=True)))
    exhausted = sum(len(d.sent) + len(d.errors) >= len(d.learners) for d in desk_list)
    return {
        "desks": len(desk_list),
        "seconds": round(elapsed, 2),
        "server": f"gunicorn {app} -w {workers} -k gthread --threads {threads}",
        "requests": len(latencies) + len([e for e in errors if not e.startswith("HTTP")]),
        "check_ins": len(sent),
        "per_second": round(len(sent) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1) if latencies else None,
        "mean_ms": round(statistics.mean(latencies) * 1000, 1) if latencies else None,
        "errors": len(errors),
        "error_samples": errors[:5],
        "in_database": in_db,
        "desk_entries_in": entries,
        "lost": missing,
        "duplicated": duplicates,
        "extra_in_database": in_db - len(set(sent)),
        "desks_out_of_learners": exhausted,
        "worker_rss_mb_before": rss_before,
        "worker_rss_mb_after": rss_after,
    }
