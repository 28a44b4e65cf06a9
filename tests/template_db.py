"""The test databases, copied from one migrated template (PostgreSQL).

`migrate` from empty takes ~27 s of CPU on this 2-core machine, and each xdist worker, and the
production server's database (tests/production), was made that way: three times per run, the
first two at once. Now one database is migrated once by `manage.py migrate` in a process of
its own, under a name that carries a fingerprint of every installed app's migrations, and each
test database is created as a copy of it (Django's TEST.TEMPLATE: the `migrate` Django runs
after then finds nothing to apply). PostgreSQL copies it in a third of a second.

The template stays on the server for the next run, while the migrations are the same; a
change to any migration gives a new name, and the template of other migrations is dropped.
Nothing connects to a template but the `migrate` that builds it (under a name of its own until
it has succeeded), so a copy is never taken of a half-migrated database.
"""

import contextlib
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from django.apps import apps

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "roper_test_template_"
#: pg_advisory_lock's key: one test process at a time looks for the template or builds it.
LOCK = 7_246_001


def fingerprint() -> str:
    """A hash of every installed app's migration files (Roper's and the libraries')."""
    digest = hashlib.sha256()
    for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
        for path in sorted((Path(config.path) / "migrations").glob("*.py")):
            digest.update(f"{config.label}/{path.name}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _admin(settings_dict) -> psycopg.Connection:
    return psycopg.connect(
        dbname="postgres",
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        autocommit=True,
    )


def _migrate(name: str) -> None:
    url = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()
    result = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"migrate of the test template failed:\n{result.stdout}{result.stderr}")


def migrated_template(settings_dict) -> str | None:
    """The name of a database migrated as the code's migrations say (built now if there is
    none); None off PostgreSQL or without DATABASE_URL (the database is then made as Django
    makes it)."""
    if settings_dict["ENGINE"] != "django.db.backends.postgresql":
        return None
    if not os.environ.get("DATABASE_URL"):
        return None
    name = PREFIX + fingerprint()
    with _admin(settings_dict) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [LOCK])
        try:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if found.fetchone() is None:
                building = f"{name}_building"
                conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{building}"')
                _migrate(building)
                conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
                others = conn.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
                    [f"{PREFIX}%", name],
                ).fetchall()
                for (other,) in others:
                    # Another checkout's template may be being copied: then it stays.
                    with contextlib.suppress(psycopg.Error):
                        conn.execute(f'DROP DATABASE "{other}"')
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [LOCK])
    return name


def copy(settings_dict, name: str) -> None:
    """A fresh database `name`, a copy of the migrated template (PostgreSQL only)."""
    template = migrated_template(settings_dict)
    drop(settings_dict, name)
    with _admin(settings_dict) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def drop(settings_dict, name: str) -> None:
    """Database `name` gone, if it was there (its connections ended)."""
    with _admin(settings_dict) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
