"""The morning rush over HTTP: gunicorn started exactly as the Dockerfile's CMD starts it,
serving Roper on PostgreSQL; one desk per school of the trust part (each signed in through
/accounts/login/ as that school's office) checks learners in at a paced rate, sending what
the desk page sends for each learner (templates/devices/desk.html, static/js/devices.js).
With `home`, the home-time rush: every phone held since the morning is handed back.
The page reads the day's roster (desk/roster/) when it opens and every minute, and searches
it as the name is typed: a name the roster holds sends nothing until the Enter (`hx-post`
of the form to desk_enter: q, the learner the list showed when it showed one to act on,
and the CSRF token). A name the roster does not hold sends the server's search as the page
does (`hx-get` on input after each 120 ms pause: two is the mix observed at desks,
`typed`). `Desk.shown` and `Desk.waiting` are the page's rules, in Python;
tests/e2e/test_desk_roster.py checks the page's list against the server's, in the morning
and from home time.

`rush()` steps the paced rate up until the server no longer keeps it with p95 ≤ 100 ms:
the capacity is the highest rate that does. The client is the standard library's
`http.client` (one keep-alive connection and one thread per desk): on a 2-core machine
shared with the server, the lightest client leaves the most CPU to what is measured. Only
127.0.0.1 is ever contacted.

    .venv/bin/python -c "import bench.run as r; r.environment(); import django; django.setup();
        import bench.rush as b; b.main()" --rate 120 --seconds 15 [--workers 3 --threads 4]
"""

import argparse
import http.client
import itertools
import json
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

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from bench.cases import before_home_time, enter_query, from_home_time, today_clear
from bench.volume import BENCH_PASSWORD, SCALES, Part
from devices.models import DeskEntry, Handover, LearnerExemption
from people.calendar import SchoolCalendar
from people.models import Learner, School

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
CSRF_IN_PAGE = re.compile(r'"X-CSRFToken": "([^"]+)"')
CSRF_IN_FORM = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
#: The issue's bar: a rate is kept when p95 of every request is at most this.
P95_BAR_MS = 100
#: ... and the server answered at least this share of the check-ins the desks were due to send.
KEPT = 0.95


def typed(learner) -> list[str]:
    """The two searches the desk sends while a name is typed: the first letters of the first
    name, then the first name and the start of the last name."""
    _, first, last = learner
    return [first[:3], f"{first} {last[:2]}"]


#: What the desk answers for a phone moved: checked in, or (from home time) handed back.
DONE = {False: "phone in.", True: "phone collected by the learner."}

#: The page reads the roster again this often (static/js/devices.js).
ROSTER_SECONDS = 60


class Desk:
    """One office computer: a signed-in session on its own keep-alive connection, and the
    roster its page holds."""

    def __init__(self, port: int, username: str, learners: list[tuple[int, str, str]]):
        self.port, self.username, self.learners = port, username, learners
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.latencies: dict[str, list[float]] = {}  # "search"/"enter"/"click" -> seconds
        self.asked = 0  # check-ins where Enter asked which learner and the row was clicked
        self.late: list[float] = []  # how late each check-in started, seconds
        self.due = 0  # check-ins the schedule asked for
        self.sent: list[int] = []  # learner ids answered "phone in"
        self.errors: list[str] = []
        self.roster: dict | None = None
        self.roster_at = self.next_read = 0.0
        self.home = False  # from home time: each phone held is handed back to the learner

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
        self.headers = response.headers
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

    def read_roster(self):
        """The page's reading of the roster (in the background: it keeps no desk signed in)."""
        headers = {"Accept": "application/json", "X-Roper-Background": "1"}
        status, page = self.timed("roster", "GET", "/devices/desk/roster/", None, headers)
        if status == 200:
            self.roster, self.roster_at = json.loads(page), time.perf_counter()
            self.next_read = self.roster_at + ROSTER_SECONDS

    def shown(self, q: str) -> list[dict] | None:
        """The list the page draws from its roster for `q` (static/js/devices.js `local`), or
        None when the page asks the server instead."""
        roster = self.roster
        if roster is None:
            return None
        home = self.at_home()
        words = q.strip().upper().split()
        found = [
            learner
            for learner in roster["learners"]
            if all(
                any(name.startswith(word) for name in learner["names"])
                or learner["class"].upper() == word
                or (len(words) == 1 and word in learner["tags"])
                for word in words
            )
        ]
        if home:  # the phones still held first
            found.sort(key=lambda learner: 0 if learner["in"] and not learner["out"] else 1)
        else:  # the phones not in yet first
            found.sort(key=lambda learner: 1 if learner["in"] else 0)
        return found[: roster["limit"]] or None

    def at_home(self) -> bool:
        """Home time, by the server's clock as the roster gave it (devices.js `atHome`)."""
        roster = self.roster
        return roster["now"] + time.perf_counter() - self.roster_at >= roster["home"]

    def waiting(self, shown: list[dict]) -> list[dict]:
        """Those of the list Enter would act on (devices.js `waits`): a learner whose phone is
        not in yet, and from home time one whose phone is still held; never an exempt one."""
        home = self.at_home()
        return [
            one for one in shown if not one["exempt"] and not (one["out"] if home else one["in"])
        ]

    def after(self, status):
        """The page after a desk action: the phone moved as the server says, or (a refusal)
        the roster read again."""
        moved = self.headers.get("X-Desk-Moved") if status == 200 else None
        if moved is None:
            self.read_roster()
            return
        now = json.loads(moved)
        for learner in self.roster["learners"] if self.roster else []:
            if learner["id"] == now["id"]:
                learner.update(
                    {key: now[key] for key in ("in", "out", "tag")},
                    tags=sorted({*learner["tags"], now["tag"].upper()} - {""}),
                )

    def timed(self, kind, method, path, body=None, headers=None):
        started = time.perf_counter()
        try:
            status, page = self.request(method, path, body, headers)
        except (http.client.HTTPException, OSError) as exc:
            self.errors.append(f"{kind} {type(exc).__name__}: {exc}")
            return None, ""
        self.latencies.setdefault(kind, []).append(time.perf_counter() - started)
        if status != 200:
            self.errors.append(f"{kind} HTTP {status}: {page[:120]!r}")
        return status, page

    def run(self, start: float, until: float, interval: float):
        """One check-in (from home time: one collection) every `interval` seconds from `start`
        (or at once when behind), each what the page sends for it, until `until`."""
        headers = {"HX-Request": "true", "X-CSRFToken": self.csrf}
        # A fresh connection: gunicorn closes one idle for longer than its keep-alive (2 s).
        self.conn.close()
        self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        due = start
        for learner in self.learners:
            now = time.perf_counter()
            if due >= until or now >= until:
                return
            if due > now:
                time.sleep(due - now)
            self.late.append(max(0.0, time.perf_counter() - due))
            due += interval
            self.due += 1
            if time.perf_counter() >= self.next_read:
                self.read_roster()
            body = {"csrfmiddlewaretoken": self.csrf, "q": enter_query(learner)}
            shown = self.shown(body["q"])
            waiting = []
            if shown is None:
                for q in typed(learner):
                    self.timed(
                        "search",
                        "GET",
                        "/devices/desk/search/?" + urllib.parse.urlencode({"q": q}),
                        None,
                        headers,
                    )
            else:
                waiting = self.waiting(shown)
                if len(waiting) == 1:
                    body["expect"] = waiting[0]["id"]
            limit = self.roster["limit"] if self.roster else 0
            if shown and (len(waiting) > 1 or (waiting and len(shown) == limit)):
                # The page asks, without a request, which learner Enter should act on.
                status, page = 200, "More than one learner matches"
            else:
                status, page = self.timed("enter", "POST", "/devices/desk/enter/", body, headers)
                self.after(status)
            if status == 200 and "More than one learner matches" in page:
                # Enter asks when the name could mean two learners: the office clicks the row.
                status, page = self.timed(
                    "click",
                    "POST",
                    f"/devices/desk/{learner[0]}/{'out' if self.home else 'in'}/",
                    {"csrfmiddlewaretoken": self.csrf},
                    headers,
                )
                self.after(status)
                self.asked += 1
            if status == 200 and DONE[self.home] in page:
                self.sent.append(learner[0])
            elif status == 200:
                self.errors.append(f"enter: {page[:160]!r}")


def dockerfile_command() -> list[str]:
    """The Dockerfile's CMD (exec form), without its --bind."""
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    (cmd,) = [line for line in lines if line.startswith("CMD ")]
    argv = json.loads(cmd.removeprefix("CMD "))
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--bind", "-b"):
            skip = True
        elif not arg.startswith("--bind="):
            out.append(arg)
    return out


@dataclass
class Server:
    """gunicorn as the Dockerfile's CMD starts it (its access log included, sent nowhere);
    `layout` (workers, threads) replaces the CMD's only to compare layouts."""

    port: int
    layout: tuple[int, int] | None = None
    process: subprocess.Popen | None = None
    env: dict = field(default_factory=dict)

    def command(self) -> list[str]:
        program, *args = dockerfile_command()
        gunicorn = Path(sys.executable).with_name(program)
        argv = [str(gunicorn) if gunicorn.exists() else program, *args]
        if self.layout:
            workers, threads = self.layout
            argv += ["--workers", str(workers), "--threads", str(threads)]
        return [*argv, "--bind", f"{HOST}:{self.port}", "--log-level", "warning"]

    def describe(self) -> str:
        return " ".join(
            Path(self.command()[0]).name if n == 0 else a for n, a in enumerate(self.command())
        )

    def start(self):
        env = {
            **os.environ,
            # The database this process uses (in the tests: the test database).
            "DATABASE_URL": database_url(),
            "DEBUG": "false",
            "HTTPS": "false",
            "ALLOWED_HOSTS": HOST,
            "LOG_LEVEL": "WARNING",
        }
        env.setdefault("SECRET_KEY", "bench-only-not-secret")
        env.setdefault("TWO_FACTOR_ENFORCED", "true")
        self.process = subprocess.Popen(  # noqa: S603 - our own server, the Dockerfile's CMD
            self.command(),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
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


def _cpu_seconds(pid) -> float:
    """utime + stime of a process, in seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(server, database: str) -> float:
    """CPU seconds used so far by gunicorn's workers and by the PostgreSQL backends connected
    to the benchmark's database: what a check-in costs the server, whatever else the machine
    is doing (unlike wall time on a shared machine)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        parent = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("PPid:")), "")
        if parent == str(server.process.pid) or (
            cmdline.startswith("postgres:") and f" {database} " in cmdline
        ):
            total += _cpu_seconds(entry.name)
    return total


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else None


def _learners(school) -> list[tuple[int, str, str]]:
    """The school's active learners in a random order, one per first and last name (Enter
    checks the top match in: with two of one name, the other could be the one checked in),
    without those exempt today: they keep their phone and never come to the desk."""
    exempt = LearnerExemption.objects.filter(
        LearnerExemption.active_q(SchoolCalendar.today()), learner__school=school
    ).values("learner")
    rows = (
        Learner.objects.filter(school=school, active=True)
        .exclude(pk__in=exempt)
        .order_by("?")
        .values_list("pk", "legal_first_name", "legal_last_name")
    )
    seen, out = set(), []
    for pk, first, last in rows:
        key = (first.lower(), last.lower())
        if key not in seen:
            seen.add(key)
            out.append((pk, first, last))
    return out


def held_since_morning(desks: list[Desk]) -> int:
    """Every phone of the desks' learners checked in this morning (queryset writes, as the
    day's check-ins left them): what the desks hand back from home time."""
    User = get_user_model()
    users = dict(
        User.objects.filter(username__in=[d.username for d in desks]).values_list("username", "pk")
    )
    schools = dict(
        Learner.objects.filter(pk__in=[x[0] for d in desks for x in d.all_learners]).values_list(
            "pk", "school_id"
        )
    )
    now = timezone.now()
    day = SchoolCalendar.day_of(now)
    made = Handover.objects.bulk_create(
        Handover(
            school_id=schools[learner[0]],
            learner_id=learner[0],
            school_day=day,
            in_at=now,
            received_by_id=users[desk.username],
        )
        for desk in desks
        for learner in desk.all_learners
    )
    return len(made)


def paced(
    desks: list[Desk], server, *, rate: float, seconds: float, school_ids, log, home=False
) -> dict:
    """`rate` check-ins a second shared by the desks for `seconds` (`home`: collections, every
    phone held since the morning); every answer checked against the database."""
    cleared = today_clear(school_ids)
    if cleared:
        log(f"  cleared {cleared} handovers of today")
    if home:
        log(f"  {held_since_morning(desks)} phones held since the morning")
    for n, desk in enumerate(desks):
        desk.learners = desk.all_learners
        desk.home = home
        # The page was opened before the rush (today's handovers were cleared before this
        # rate, so afresh): it reads the roster again a minute later, at a time of its own.
        desk.read_roster()
        desk.next_read -= n * ROSTER_SECONDS / len(desks)
        desk.latencies, desk.late, desk.due, desk.sent, desk.errors = {}, [], 0, [], []
    interval = len(desks) / rate
    database = connection.settings_dict["NAME"]
    cpu_before = server_cpu(server, database)
    desks_before = time.process_time()
    started = time.perf_counter() + 0.2
    until = started + seconds
    threads = [
        threading.Thread(target=d.run, args=(started + n * interval / len(desks), until, interval))
        for n, d in enumerate(desks)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cpu = server_cpu(server, database) - cpu_before
    desks_cpu = time.process_time() - desks_before
    by_kind = {}
    for desk in desks:
        for kind, values in desk.latencies.items():
            by_kind.setdefault(kind, []).extend(values)
    every = [x for values in by_kind.values() for x in values]
    sent = [x for d in desks for x in d.sent]
    errors = [x for d in desks for x in d.errors]
    late = [x for d in desks for x in d.late]
    due = sum(d.due for d in desks)
    day = timezone.localdate()
    today = Handover.objects.filter(school_id__in=school_ids, school_day=day)
    kind = DeskEntry.Kind.OUT if home else DeskEntry.Kind.IN
    # Moved: checked in (and not undone), or, from home time, handed back.
    in_db = today.filter(undone_at__isnull=True, **({"out_at__isnull": False} if home else {}))
    in_db = in_db.count()
    twice = (
        DeskEntry.objects.filter(handover__in=today, kind=kind)
        .values("handover_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        if home
        else today.values("learner_id").annotate(n=Count("pk")).filter(n__gt=1)
    )
    duplicates = twice.count() + len(sent) - len(set(sent))
    entries = DeskEntry.objects.filter(handover__in=today, kind=kind).count()
    # Enter checks the top match in: with a namesake listed first (a preferred name, say),
    # that learner is the one checked in. So answers are counted against the database.
    missing = max(0, len(sent) - in_db)

    def ms(values, q):
        return round(percentile(values, q) * 1000, 1) if values else None

    p95 = ms(every, 0.95)
    row = {
        "rate": rate,
        "seconds": round(elapsed, 2),
        "due": due,
        "check_ins": len(sent),
        "per_second": round(len(sent) / elapsed, 1),
        "requests": len(every),
        "p50_ms": ms(every, 0.50),
        "p95_ms": p95,
        "p99_ms": ms(every, 0.99),
        "search_p95_ms": ms(by_kind.get("search", []), 0.95),
        "searches": len(by_kind.get("search", [])),
        "roster_reads": len(by_kind.get("roster", [])),
        "roster_p95_ms": ms(by_kind.get("roster", []), 0.95),
        "enter_p50_ms": ms(by_kind.get("enter", []), 0.50),
        "enter_p95_ms": ms(by_kind.get("enter", []), 0.95),
        "late_p95_ms": ms(late, 0.95),
        "errors": len(errors),
        "error_samples": errors[:5],
        "in_database": in_db,
        "desk_entries_in": entries,
        "lost": missing,
        "duplicated": duplicates,
        "extra_in_database": in_db - len(set(sent)),
        # Server CPU (gunicorn workers + their PostgreSQL backends) per check-in: every
        # request the desks sent, roster reads included. The server's two cores allow at most
        # 2,000 ms of it a second.
        "server_cpu_ms_per_check_in": round(cpu * 1000 / len(sent), 2) if sent else None,
        "cpu_capacity_per_second": round(len(sent) * 2 / cpu, 1) if cpu else None,
        # The desks' own CPU (this process: the pages replayed, on the same two cores as the
        # server, which a school's office computers would not share).
        "desks_cpu_ms_per_check_in": round(desks_cpu * 1000 / len(sent), 2) if sent else None,
    }
    row["kept"] = bool(
        len(sent) >= KEPT * rate * seconds
        and p95 is not None
        and p95 <= P95_BAR_MS
        and not errors
        and not missing
        and not duplicates
    )
    log(
        f"  {rate}/s paced: {row['per_second']}/s answered, p95 {p95} ms "
        f"(Enter {row['enter_p95_ms']}, {row['searches']} searches, "
        f"{row['roster_reads']} roster reads p95 {row['roster_p95_ms']}), "
        f"server CPU {row['server_cpu_ms_per_check_in']} ms a check-in "
        f"(the desks' {row['desks_cpu_ms_per_check_in']} ms), {len(errors)} errors: "
        f"{'kept' if row['kept'] else 'NOT kept'}"
    )
    return row


def rush(
    part: Part,
    *,
    seconds: float = 20,
    desks: int = 20,
    port: int = 8799,
    rates: list[float] | None = None,
    step: float = 20,
    at: float = 60,
    layout: tuple[int, int] | None = None,
    home: bool = False,
    log=print,
) -> dict:
    """The rush at `at` check-ins a second (the issue's peak), then at `rates` (default: from
    `at` up by `step` until a rate is not kept): the capacity is the highest rate kept.
    `home`: the home-time rush instead, every phone held since the morning handed back (run
    it `from_home_time()`): the page sends the server's search for every name then."""
    schools = list(School.objects.filter(trust__name=part.trust_name).order_by("name"))[:desks]
    school_ids = [s.pk for s in schools]
    server = Server(port, layout)
    server.start()
    steps = []
    try:
        desk_list = []
        for n, school in enumerate(schools, start=1):
            desk = Desk(port, f"{part.key}-{n:02d}-office", _learners(school))
            desk.all_learners = desk.learners
            desk.sign_in()
            desk_list.append(desk)
        rss_before = server.worker_rss_mb()
        log(f"  {len(desk_list)} desks signed in ({server.describe()})")
        for rate in rates or itertools.count(at, step):
            row = paced(
                desk_list,
                server,
                rate=rate,
                seconds=seconds,
                school_ids=school_ids,
                log=log,
                home=home,
            )
            steps.append(row)
            if not rates and not row["kept"]:
                break
        rss_after = server.worker_rss_mb()
    finally:
        server.stop()
        today_clear(school_ids)
    kept = [row["rate"] for row in steps if row["kept"]]
    cpu = [row["server_cpu_ms_per_check_in"] for row in steps if row["server_cpu_ms_per_check_in"]]
    at_peak = next((row for row in steps if row["rate"] == at), None)
    return {
        "desks": len(desk_list),
        "server": server.describe(),
        "home": home,
        "mix": (
            "per phone handed back: Enter (POST desk/enter/), the name searched in the page's "
            "roster (GET desk/roster/ when the page opens and every minute); 2 searches (GET "
            "desk/search/) for a name the roster does not hold"
            if home
            else "per check-in: Enter (POST desk/enter/), the name searched in the page's "
            "roster (GET desk/roster/ when the page opens and every minute); 2 searches (GET "
            "desk/search/) for a name the roster does not hold or from home time"
        ),
        "capacity_per_second": max(kept) if kept else 0,
        "server_cpu_ms_per_check_in": round(statistics.median(cpu), 2) if cpu else None,
        # What two cores would hold with the server alone on them: 2,000 ms / the above.
        "cpu_capacity_per_second": round(2000 / statistics.median(cpu), 1) if cpu else None,
        "at_peak": at_peak,
        "steps": steps,
        "errors": sum(row["errors"] for row in steps),
        "lost": sum(row["lost"] for row in steps),
        "duplicated": sum(row["duplicated"] for row in steps),
        "extra_in_database": sum(row["extra_in_database"] for row in steps),
        "worker_rss_mb_before": rss_before,
        "worker_rss_mb_after": rss_after,
    }


def main(argv=None):
    """One paced rate (or several) against the trust scale, e.g. to compare layouts."""
    parser = argparse.ArgumentParser(description="The morning rush at paced rates.")
    parser.add_argument("--rate", type=float, action="append", default=[])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--scale", default="trust")
    parser.add_argument("--home-time", action="store_true", help="the home-time rush")
    args = parser.parse_args(argv)
    part = [p for p in SCALES[args.scale] if p.in_trust][-1]
    layout = (args.workers, args.threads) if args.workers else None
    home = args.home_time
    with from_home_time() if home else before_home_time():  # whatever the hour
        result = rush(part, seconds=args.seconds, rates=args.rate or None, layout=layout, home=home)
    print(json.dumps({k: v for k, v in result.items() if k != "steps"}, default=str))
