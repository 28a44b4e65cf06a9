"""`make bench`: seed (once) and measure Roper against PostgreSQL, in one run.

    .venv/bin/python -m bench.run [--scales school,trust] [--runs 20] [--rush-seconds 20]
                                  [--desks 20] [--no-rush] [--no-reminders]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/roper_bench (created if
missing). Writes bench/results/<date>.json (with the commit measured) and prints a Markdown
table: issue 17's (each case's ratio to the minimal signed-in view in the newest committed
results file and in this run, the target, met or not), then every case's wall and CPU time,
each school page's time at two and three years of history, and the paced rates of the
rushes: the morning's check-ins and home time's collections.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/roper_bench"

ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "roper.settings",
    "DATABASE_URL": DEFAULT_DATABASE,
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-not-secret",
    "HTTPS": "false",
    # As in production: the roles that read safeguarding records sign in with a second
    # factor, and the OTP middleware reads their device on every request.
    "TWO_FACTOR_ENFORCED": "true",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    "EMAIL_URL": "dummymail://",
    "LOG_LEVEL": "WARNING",
}

#: Issue 17's table: (row, case key, the key of the same case in an older results file,
#: target ratio to the floor of the same run). The floor is the minimal signed-in view.
ISSUE_TABLE = [
    ("desk search", "desk_search", "desk_search", 2.5),
    ("check-in (Enter path)", "desk_enter", "desk_check_in", 3),
    ("triage dashboard, 10,000 concerns", "dashboard_school", "dashboard_school", 12),
    ("concern page, 200 entries", "concern", "concern", 10),
    ("chronology, 3 years", "chronology", "chronology", 15),
    ("governor report, completed term (cached)", "governors", "governors", 3),
    ("governor report, completed term (first view)", "governors_first", "governors", 40),
    ("trust view, 20 schools (cached)", "trust_view", "trust_view", 5),
]
#: The issue's own "today" column, as it was filed (measured then on another machine).
AS_FILED = {
    "desk search": "~5× (20 ms)",
    "check-in (Enter path)": "~9× (37 ms)",
    "triage dashboard, 10,000 concerns": "~45×",
    "concern page, 200 entries": "~34×",
    "chronology, 3 years": "~54×",
    "governor report, completed term (cached)": "~77×",
    "governor report, completed term (first view)": "~77×",
    "trust view, 20 schools (cached)": "~150×",
    "rush capacity, real mix, 2 cores": "~35 check-ins/s",
}
#: Issue 18: the evidence pack for a trust of 20 schools renders within this (first view).
EVIDENCE_NAME = "evidence pack, trust of 20 schools (first view)"
EVIDENCE_TARGET_S = 2
#: Issue 17: "no page's time grows with years of history". Each school page measured at a
#: school with three years and at one with two (its size and its concerns a term alike), in
#: the same rounds: the slower may be at most this much slower than the faster, which is
#: this machine's noise between two interleaved medians, not growth (a page reading every
#: year would be ~1.5× at three years). The chronology is a child's whole history, so grows
#: by design (its own target is at three years).
HISTORY_SCALE = "school-2y"
HISTORY_GROWTH = 1.2
GROWS_BY_DESIGN = {"chronology": "a child's chronology lists their whole history"}
#: The rushes measured (result key -> the issue table's row): the morning's check-ins, the
#: issue's, and the same bar for home time, when every phone goes back in as few minutes.
RUSHES = {
    "rush": "rush capacity, real mix, 2 cores",
    "rush_home": "home-time rush (phones handed back), 2 cores",
}
#: The rush: check-ins a second kept with p95 ≤ 100 ms, and p95 at the trust's peak.
RUSH_CAPACITY = 120
RUSH_PEAK = 60
RUSH_P95_MS = 100


def environment():
    for key, value in ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "")
    # The cache (and so the session store, roper/settings.py): production has Redis
    # (docker-compose.yml); BENCH_CACHE_URL=rediscache://127.0.0.1:6379/N measures with it
    # while Celery stays eager, as without a broker.
    os.environ["CACHE_URL"] = os.environ.get("BENCH_CACHE_URL", "")


def create_database():
    """Create the benchmark's database when it does not exist (PostgreSQL only)."""
    import environ
    import psycopg

    config = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    if config["ENGINE"] != "django.db.backends.postgresql":
        return
    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{config["NAME"]}"')


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"],  # noqa: S607 - read-only
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def reminders_in_subprocess() -> dict:
    out = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "bench.reminders"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def baseline(exclude: Path | None = None) -> tuple[str, dict] | None:
    """The newest committed results file (bench/results/), by the date measured in it, other
    than the one this run writes: "today" in the issue's table. (By file name, a day's
    "2026-12-03.json" came after its "2026-12-03-night.json".)"""
    try:
        names = subprocess.run(
            ["git", "ls-files", "bench/results/*.json"],  # noqa: S607 - read-only
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        return None
    names = [n for n in names if exclude is None or ROOT / n != exclude]
    if not names:
        return None
    found = {name: json.loads((ROOT / name).read_text()) for name in names}
    newest = max(found, key=lambda name: found[name].get("date", ""))
    return newest, found[newest]


def old_ratio(old: dict, key: str) -> float | None:
    """A case's ratio to the signed-in floor in an older results file: its own floor when it
    has one, else the signed-in /healthz measured beside its cases (2026-11-24)."""
    rows = {c["key"]: c for c in old.get("cases", [])}
    if key not in rows:
        return None
    if old.get("floor", {}).get("key") == "floor_signed_in":
        return rows[key].get("ratio")
    reference = rows.get("floor_signed_in")
    return round(rows[key]["median_ms"] / reference["median_ms"], 1) if reference else None


def issue_table(result: dict, old: tuple[str, dict] | None) -> list[dict]:
    """The issue's table: each case, its ratio in the baseline file, in this run, the target."""
    cases = {c["key"]: c for c in result["cases"]}
    rows = []
    for label, key, old_key, target in ISSUE_TABLE:
        case = cases.get(key)
        if case is None:
            continue
        # The same case in the older file; else, in a file from before it was measured, the
        # case it replaced (the click path for Enter, the cached report for its first view).
        before = old_ratio(old[1], key) if old else None
        stand_in = before is None and old is not None and key != old_key
        if stand_in:
            before = old_ratio(old[1], old_key)
        rows.append(
            {
                "case": label,
                "today": f"{before}×" + (f" ({old_key})" if stand_in and before else "")
                if before
                else "—",
                "new": f"{case['ratio']}× ({case['median_ms']} ms, CPU {case['cpu_ms']} ms)",
                "target": f"≤ {target}×",
                "met": case["ratio"] <= target,
            }
        )
    for key, label in RUSHES.items():
        rush = result.get(key)
        if not rush:
            continue
        before = old[1].get(key) if old else None
        today = "—"
        if before and "capacity_per_second" in before:
            today = f"{before['capacity_per_second']}/s"
        elif before:
            today = f"{before['per_second']}/s (unpaced, check-ins alone)"
        peak = rush.get("at_peak") or {}
        rows.append(
            {
                "case": label,
                "today": today,
                "new": f"{rush['capacity_per_second']}/s; at {RUSH_PEAK}/s paced: "
                f"p95 {peak.get('p95_ms')} ms; CPU bound {rush['cpu_capacity_per_second']}/s "
                f"({rush['server_cpu_ms_per_check_in']} ms server CPU a phone)",
                "target": f"≥ {RUSH_CAPACITY}/s, p95 ≤ {RUSH_P95_MS} ms at {RUSH_PEAK}/s",
                "met": rush["capacity_per_second"] >= RUSH_CAPACITY
                and bool(peak.get("kept"))
                and (peak.get("p95_ms") or 1e9) <= RUSH_P95_MS,
            }
        )
    return rows


def history_growth(cases: list[dict]) -> dict | None:
    """Each school page's time at three years of history against its time at two (the cases
    whose key ends `@2y`, bench/cases.py `history_tag`): the ratio, and its queries at both."""
    by_key = {c["key"]: c for c in cases}
    rows = []
    for case in cases:
        key, _, years = case["key"].partition("@")
        if not years or key not in by_key:
            continue
        three = by_key[key]
        growth = round(three["median_ms"] / case["median_ms"], 2)
        why = GROWS_BY_DESIGN.get(key, "")
        rows.append(
            {
                "key": key,
                "fewer_years": years,
                "fewer_ms": case["median_ms"],
                "three_years_ms": three["median_ms"],
                "growth": growth,
                "queries": f"{case['queries']} / {three['queries']}",
                "apart": why,
                "met": bool(why)
                or (growth <= HISTORY_GROWTH and case["queries"] == three["queries"]),
            }
        )
    if not rows:
        return None
    measured = [r for r in rows if not r["apart"]]
    top = max(measured, key=lambda r: r["growth"], default=None)
    same = all(a == b for a, b in (r["queries"].split(" / ") for r in measured))
    return {
        "rows": rows,
        "figure": (f"largest {top['growth']}× ({top['key']})" if top else "no page measured")
        + f"; queries equal: {'yes' if same else 'NO'}",
        "met": all(r["met"] for r in rows),
    }


def verdicts(result: dict) -> list[dict]:
    """The issue's targets, met or not, and the checks every run keeps."""
    rows = [
        {"target": f"{row['case']}: {row['target']}", "figure": row["new"], "met": row["met"]}
        for row in issue_table(result, None)
    ]
    evidence = next(
        (c for c in result.get("cases", []) if c["key"] == "evidence_trust_first"), None
    )
    if evidence:
        rows.append(
            {
                "target": f"{EVIDENCE_NAME} ≤ {EVIDENCE_TARGET_S} s",
                "figure": f"{evidence['median_ms'] / 1000:.2f} s",
                "met": evidence["median_ms"] <= EVIDENCE_TARGET_S * 1000,
            }
        )
    fixed = result.get("fixed_queries")
    if fixed is not None:
        rows.append(
            {
                "target": "page cases: same number of queries at tiny and measured scale",
                "figure": fixed["figure"],
                "met": fixed["met"],
            }
        )
    for key, what in [
        ("sweep", "every page, by each role"),
        ("sweep_trust", "every page, by each role of a trust's school and the trust's own"),
    ]:
        done = result.get(key)
        if done is None:
            continue
        rows.append(
            {
                "target": f"{what} (those without a parameter, and those their links lead to): "
                "same number of queries at tiny and measured scale (bench/sweep.py)",
                "figure": ", ".join(f"{k} {v}" for k, v in done["grew"].items())
                or f"all {done['compared']} opened at both scales equal",
                "met": not done["grew"],
            }
        )
    history = result.get("history")
    if history is not None:
        rows.append(
            {
                "target": f"no page's time grows with years of history: each school page at 3 "
                f"years ≤ {HISTORY_GROWTH}× its time at 2, same queries (the chronology apart)",
                "figure": history["figure"],
                "met": history["met"],
            }
        )
    rem = result.get("reminders")
    if rem:
        rows.append(
            {
                "target": "run_reminders (whole data set) ≤ 30 s",
                "figure": f"{rem['seconds']} s",
                "met": rem["seconds"] <= 30,
            }
        )
        rows.append(
            {
                "target": "run_reminders peak memory ≤ 300 MB",
                "figure": f"{rem['peak_rss_mb']} MB peak RSS of its process",
                "met": rem["peak_rss_mb"] <= 300,
            }
        )
    for key in RUSHES:
        rush = result.get(key)
        if not rush:
            continue
        name = "home-time rush" if rush.get("home") else "rush"
        rows += [
            {
                "target": f"{name} 0 errors",
                "figure": str(rush["errors"]),
                "met": rush["errors"] == 0,
            },
            {
                "target": f"{name} 0 lost / 0 duplicated",
                "figure": f"{rush['lost']} lost, {rush['duplicated']} duplicated, "
                f"{rush['extra_in_database']} extra",
                "met": rush["lost"] == 0
                and rush["duplicated"] == 0
                and rush["extra_in_database"] == 0,
            },
            {
                "target": f"gunicorn worker ≤ 150 MB after the {name}",
                "figure": f"{max(rush['worker_rss_mb_after'] or [0])} MB (largest worker)",
                "met": max(rush["worker_rss_mb_after"] or [0]) <= 150,
            },
        ]
    return rows


def markdown(result: dict) -> str:
    floor = result["floor"]
    lines = [
        f"## Roper benchmark {result['date']} (commit {result['commit'][:12]}, "
        f"{result['database']})",
        "",
        f"Floor (minimal signed-in view, measured in every round between the cases): median "
        f"{floor['median_ms']} ms, CPU {floor['cpu_ms']} ms, {floor['queries']} queries.",
        "",
    ]
    base = result.get("baseline")
    lines += [
        f"Issue 17 (as filed: the issue's own figures; today: {base or 'no committed results'}; "
        "new: this run; ratios × the floor of the same run)",
        "",
        "| case | as the issue was filed | today | new | target | met? |",
        "|---|---|---|---|---|---|",
    ]
    for row in result.get("issue_table", []):
        lines.append(
            f"| {row['case']} | {AS_FILED.get(row['case'], '—')} | {row['today']} "
            f"| {row['new']} | {row['target']} | {'yes' if row['met'] else 'NO'} |"
        )
    lines += [
        "",
        "| case | median ms | p95 ms | CPU ms | queries | × floor | CPU × floor |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case in result["cases"]:
        if "@" in case["key"]:
            continue  # (the history table's)
        lines.append(
            f"| {case['name']} | {case['median_ms']} | {case['p95_ms']} | {case['cpu_ms']} "
            f"| {case['queries']} | {case.get('ratio', '')} | {case.get('cpu_ratio', '')} |"
        )
    rem = result.get("reminders")
    if rem:
        lines.append(
            f"| run_reminders (whole data set, 1 run) | {rem['seconds'] * 1000:.0f} | | | "
            f"| peak RSS {rem['peak_rss_mb']} MB | |"
        )
    history = result.get("history")
    if history:
        lines += [
            "",
            "Years of history: each school page at a school of the same size with two years "
            "and with three, in the same rounds.",
            "",
            "| page | 2 years ms | 3 years ms | growth | queries (2 / 3 years) | met |",
            "|---|---:|---:|---:|---|---|",
        ]
        for row in history["rows"]:
            met = f"apart: {row['apart']}" if row["apart"] else ("yes" if row["met"] else "NO")
            lines.append(
                f"| {row['key']} | {row['fewer_ms']} | {row['three_years_ms']} "
                f"| {row['growth']}× | {row['queries']} | {met} |"
            )
    for key, whose in [
        ("sweep", "the school's role accounts"),
        ("sweep_trust", "the role accounts of a trust's school and the trust's own"),
    ]:
        done = result.get(key)
        if not done or not done.get("slowest"):
            continue
        lines += [
            "",
            f"The sweep (bench/sweep.py): {done['pages']} pages opened by {whose}, "
            f"{done['with_parameter']} of them reached by links; the dearest, in CPU time at "
            "the measured scale:",
            "",
            "| role and page | address | CPU ms | queries |",
            "|---|---|---:|---:|",
        ]
        for row in done["slowest"]:
            lines.append(f"| {row['page']} | {row['url']} | {row['cpu_ms']} | {row['queries']} |")
    for key in RUSHES:
        rush = result.get(key)
        if not rush:
            continue
        what = "Home-time rush" if rush.get("home") else "Morning rush"
        lines += [
            "",
            f"{what} ({rush['desks']} desks, `{rush['server']}`, {rush['mix']}): "
            f"capacity {rush['capacity_per_second']} a second with p95 ≤ {RUSH_P95_MS} ms. "
            f"Server CPU (workers + their PostgreSQL backends) "
            f"{rush['server_cpu_ms_per_check_in']} ms a phone: two cores to the server alone "
            f"would hold {rush['cpu_capacity_per_second']}/s.",
            "",
            "| paced /s | answered /s | p50 ms | p95 ms | search p95 | Enter p95 | late p95 "
            "| server CPU ms/phone | desks' CPU ms/phone | errors | lost | kept |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for row in rush["steps"]:
            lines.append(
                f"| {row['rate']} | {row['per_second']} | {row['p50_ms']} | {row['p95_ms']} "
                f"| {row['search_p95_ms']} | {row['enter_p95_ms']} | {row['late_p95_ms']} "
                f"| {row['server_cpu_ms_per_check_in']} | {row.get('desks_cpu_ms_per_check_in')} "
                f"| {row['errors']} | {row['lost']} | {'yes' if row['kept'] else 'no'} |"
            )
        lines.append(f"Worker RSS after: {rush['worker_rss_mb_after']} MB.")
    lines += ["", "| check | figure | met |", "|---|---|---|"]
    for row in result["verdicts"][len(result.get("issue_table", [])) :]:
        lines.append(f"| {row['target']} | {row['figure']} | {'yes' if row['met'] else 'NO'} |")
    return "\n".join(lines)


def fixed_queries(small: list[dict], large: list[dict]) -> dict:
    """Each case's number of queries at the tiny scale and at the measured scale."""
    tiny = {c["key"]: c["queries"] for c in small}
    grew = {
        c["key"]: f"{tiny[c['key']]} → {c['queries']}"
        for c in large
        if c["key"] in tiny and c["queries"] != tiny[c["key"]]
    }
    return {
        "tiny": tiny,
        "figure": ", ".join(f"{k} {v}" for k, v in grew.items()) or "all equal",
        "met": not grew,
    }


#: The sweeps (bench/sweep.py) in the results -> whether of the trust's part.
SWEEPS = {"sweep": False, "sweep_trust": True}


def swept(small_part, large_part) -> dict:
    """Every page by each account of `large_part` (bench/sweep.py), compared with the same at
    `small_part`."""
    from bench.sweep import SWEEP_DEPTH, grown, slowest, sweep

    large = sweep(large_part, depth=SWEEP_DEPTH)
    small = sweep(small_part, depth=SWEEP_DEPTH)
    return {
        "pages": len(large),
        "with_parameter": sum(1 for row in large.values() if row["level"]),
        "compared": len(small.keys() & large.keys()),
        "grew": grown(small, large),
        "slowest": slowest(large),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="school,trust")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rush-seconds", type=float, default=20, help="per paced rate")
    parser.add_argument("--desks", type=int, default=20)
    parser.add_argument("--no-rush", action="store_true")
    parser.add_argument("--no-reminders", action="store_true")
    parser.add_argument("--no-history", action="store_true", help="skip the years check")
    parser.add_argument("--output", default="")
    args = parser.parse_args(argv)
    environment()
    create_database()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench import cases
    from bench.volume import seed

    call_command("migrate", verbosity=0)
    scales = [s for s in args.scales.split(",") if s]
    seeding = {}
    for scale in scales:
        seeding.update(seed(scale))
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "database": connection.vendor
        + (f" {connection.pg_version}" if connection.vendor == "postgresql" else ""),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "scales": scales,
        "cache": settings.CACHES["default"]["BACKEND"],
        "session_engine": settings.SESSION_ENGINE,
        "seeding_seconds": seeding,
    }
    parts = cases.parts(*scales)
    history = []
    if "school" in scales and not args.no_history:
        seeding.update(seed(HISTORY_SCALE))
        history = cases.parts(HISTORY_SCALE)
    if "tiny" not in scales:
        # The same cases at the tiny scale (seeded beside the others, a few seconds): a
        # page's number of queries must not depend on the scale.
        seed("tiny")
    started = time.perf_counter()
    with cases.before_home_time():  # the morning, whatever the hour
        measured = cases.run_cases(parts, runs=args.runs, history=history)
        result.update(measured)
        result["history"] = history_growth(measured["cases"])
        if "tiny" not in scales:
            tiny = cases.run_cases(cases.parts("tiny"), runs=1)
            result["fixed_queries"] = fixed_queries(tiny["cases"], measured["cases"])
            from bench.volume import SCALES

            # The school, and the trust (20 schools against the tiny trust's 2).
            for key, in_trust in SWEEPS.items():
                measured_part = next((p for p in parts if p.in_trust == in_trust), None)
                if measured_part:
                    tiny_part = next(p for p in SCALES["tiny"] if p.in_trust == in_trust)
                    result[key] = swept(tiny_part, measured_part)
        print(f"page cases: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    trust_parts = [p for p in parts if p.in_trust]
    if not args.no_rush and trust_parts:
        from bench.rush import rush

        # The morning's check-ins, then home time's collections (RUSHES).
        for key, home, clock in [
            ("rush", False, cases.before_home_time),
            ("rush_home", True, cases.from_home_time),
        ]:
            with clock():
                result[key] = rush(
                    trust_parts[-1],
                    seconds=args.rush_seconds,
                    desks=args.desks,
                    at=RUSH_PEAK,
                    home=home,
                    log=print,
                )
    if not args.no_reminders:
        result["reminders"] = reminders_in_subprocess()
    out = (
        Path(args.output).resolve()
        if args.output
        else ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y-%m-%d}.json"
    )
    old = baseline(exclude=out)
    result["baseline"] = old[0] if old else None
    result["issue_table"] = issue_table(result, old)
    result["verdicts"] = verdicts(result)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(markdown(result))
    print(f"\nWritten to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return result


if __name__ == "__main__":
    main()
