"""`make bench`: seed (once) and measure Roper against PostgreSQL, in one run.

    .venv/bin/python -m bench.run [--scales school,trust] [--runs 20] [--rush-seconds 60]
                                  [--desks 20] [--no-rush]

DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/roper_bench (created if
missing). Writes bench/results/<date>.json (with the commit measured) and prints a Markdown
table. Targets are from issue 9.
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
    "TWO_FACTOR_ENFORCED": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "STATICFILES_BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    "EMAIL_URL": "dummymail://",
    "LOG_LEVEL": "WARNING",
}

#: case name prefix -> (ratio to the floor, absolute ms) targets.
TARGETS = [
    ("desk", 3, None),
    ("triage dashboard", 5, None),
    ("concern page", 5, None),
    ("chronology", 5, None),
    ("governor report", 5, 300),
    ("trust view", None, 2000),
]


def environment():
    for key, value in ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "")


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


def verdicts(result: dict) -> list[dict]:
    """Each target of the issue, met or not, with the figure."""
    rows = []
    for case in result["cases"]:
        for prefix, ratio, absolute in TARGETS:
            if not case["name"].startswith(prefix):
                continue
            if ratio:
                rows.append(
                    {
                        "target": f"{case['name']}: median ≤ {ratio}× floor",
                        "figure": f"{case['ratio']}× ({case['median_ms']} ms)",
                        "met": case["ratio"] <= ratio,
                    }
                )
            if absolute:
                rows.append(
                    {
                        "target": f"{case['name']}: median ≤ {absolute} ms",
                        "figure": f"{case['median_ms']} ms",
                        "met": case["median_ms"] <= absolute,
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
    rush = result.get("rush")
    if rush:
        rows += [
            {
                "target": "rush ≥ 300 check-ins/s",
                "figure": f"{rush['per_second']}/s",
                "met": rush["per_second"] >= 300,
            },
            {
                "target": "rush p95 ≤ 100 ms",
                "figure": f"{rush['p95_ms']} ms",
                "met": rush["p95_ms"] is not None and rush["p95_ms"] <= 100,
            },
            {
                "target": "rush 0 errors",
                "figure": str(rush["errors"]),
                "met": rush["errors"] == 0,
            },
            {
                "target": "rush 0 lost / 0 duplicated",
                "figure": f"{rush['lost']} lost, {rush['duplicated']} duplicated, "
                f"{rush['extra_in_database']} extra",
                "met": rush["lost"] == 0
                and rush["duplicated"] == 0
                and rush["extra_in_database"] == 0,
            },
            {
                "target": "gunicorn worker ≤ 150 MB after the rush",
                "figure": f"{max(rush['worker_rss_mb_after'] or [0])} MB (largest worker)",
                "met": max(rush["worker_rss_mb_after"] or [0]) <= 150,
            },
        ]
    return rows


def markdown(result: dict) -> str:
    lines = [
        f"## Roper benchmark {result['date']} (commit {result['commit'][:12]}, "
        f"{result['database']})",
        "",
        f"Floor `/healthz`: median {result['floor']['median_ms']} ms, "
        f"p95 {result['floor']['p95_ms']} ms, {result['floor']['queries']} query.",
        "",
        "| case | median ms | p95 ms | queries | × floor | × signed-in ref. |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for case in result["cases"]:
        lines.append(
            f"| {case['name']} | {case['median_ms']} | {case['p95_ms']} | {case['queries']} "
            f"| {case.get('ratio', '')} | {case.get('ratio_signed_in', '')} |"
        )
    rem = result.get("reminders")
    if rem:
        lines.append(
            f"| run_reminders (whole data set, 1 run) | {rem['seconds'] * 1000:.0f} | | "
            f"| peak RSS {rem['peak_rss_mb']} MB | |"
        )
    rush = result.get("rush")
    if rush:
        lines += [
            "",
            f"Morning rush ({rush['desks']} desks, {rush['seconds']} s, {rush['server']}): "
            f"{rush['check_ins']} check-ins, {rush['per_second']}/s, p50 {rush['p50_ms']} ms, "
            f"p95 {rush['p95_ms']} ms, p99 {rush['p99_ms']} ms, {rush['errors']} errors, "
            f"{rush['in_database']} in the database ({rush['lost']} lost, "
            f"{rush['duplicated']} duplicated); worker RSS after: "
            f"{rush['worker_rss_mb_after']} MB.",
        ]
    lines += ["", "| target | figure | met |", "|---|---|---|"]
    for row in result["verdicts"]:
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="school,trust")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rush-seconds", type=float, default=60)
    parser.add_argument("--desks", type=int, default=20)
    parser.add_argument("--no-rush", action="store_true")
    parser.add_argument("--no-reminders", action="store_true")
    parser.add_argument("--output", default="")
    args = parser.parse_args(argv)
    environment()
    create_database()

    import django

    django.setup()
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
        "seeding_seconds": seeding,
    }
    parts = cases.parts(*scales)
    started = time.perf_counter()
    measured = cases.run_cases(parts, runs=args.runs)
    result.update(measured)
    # The same cases at the tiny scale (seeded beside the others, a few seconds): a page's
    # number of queries must not depend on the scale.
    if "tiny" not in scales:
        seed("tiny")
        tiny = cases.run_cases(cases.parts("tiny"), runs=1)
        result["fixed_queries"] = fixed_queries(tiny["cases"], measured["cases"])
    print(f"page cases: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if not args.no_reminders:
        result["reminders"] = reminders_in_subprocess()
    trust_parts = [p for p in parts if p.in_trust]
    if not args.no_rush and trust_parts:
        from bench.rush import rush

        result["rush"] = rush(
            trust_parts[-1],
            seconds=args.rush_seconds,
            desks=args.desks,
            app="roper.wsgi",
            log=print,
        )
    result["verdicts"] = verdicts(result)
    out = (
        Path(args.output)
        if args.output
        else ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y-%m-%d}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(markdown(result))
    print(f"\nWritten to {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return result


if __name__ == "__main__":
    main()
