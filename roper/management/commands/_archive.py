"""One backup archive: the PostgreSQL database (pg_dump's custom format) and the private files
(PRIVATE_STORAGE_ROOT: evidence, policy files), with a manifest. Shared by `manage.py backup`
and `manage.py restore`."""

import json
import os
import subprocess  # nosec B404 - pg_dump/pg_restore with an argument list, never a shell
from pathlib import Path

from django.core.management.base import CommandError

DUMP = "database.dump"
FILES = "private"
MANIFEST = "manifest.json"
FORMAT = 1


def postgres(connection) -> tuple[list[str], dict]:
    """pg_dump/pg_restore connection arguments and environment for a Django connection. The
    password goes in the environment, never on a command line that `ps` shows."""
    if connection.vendor != "postgresql":
        raise CommandError(
            "backup and restore need PostgreSQL (DATABASE_URL). For SQLite, stop Roper and copy "
            "the database file and PRIVATE_STORAGE_ROOT."
        )
    s = connection.settings_dict
    args = ["--dbname", s["NAME"], "--no-password"]
    if s.get("HOST"):
        args += ["--host", s["HOST"]]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", s["USER"]]
    env = {**os.environ}
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    return args, env


def run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if result.returncode != 0:
        raise CommandError(f"{command[0]} failed: {result.stderr.strip()}")


def manifest(created_at: str, files: int) -> bytes:
    return json.dumps(
        {"format": FORMAT, "created_at": created_at, "database": DUMP, "private_files": files},
        indent=2,
    ).encode()


def is_empty(path: Path) -> bool:
    return not path.exists() or not any(path.iterdir())
