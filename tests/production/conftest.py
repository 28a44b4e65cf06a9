"""Roper built and served as a school deploys it, once per test session.

`roper_server` does what the Dockerfile does: `collectstatic` with the production (manifest)
storage, then gunicorn with the Dockerfile's own CMD — read from the Dockerfile, so the two
cannot drift; only the bind address changes. Around it, the environment of a real deployment:
DEBUG=false, HTTPS=true behind a proxy (the browser sends `X-Forwarded-Proto: https`), a
random SECRET_KEY, two-factor enforced, ALLOWED_HOSTS, and a fresh database with `migrate` and
`seed_demo` — a PostgreSQL database created and dropped here when DATABASE_URL is PostgreSQL
(as under CI; a copy of the tests' migrated template, tests/template_db.py, so that its
`migrate` finds the work done), else a temporary SQLite file. No broker: Celery tasks run in
the web process.

The tests are marked `browser` (Chromium) and `production`. Under xdist (`make test`) they go,
all of them, to one worker (tests/conftest.py `pytest_xdist_make_scheduler`), so the server is
built once while the other workers run the rest of the suite.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import environ
import pytest
from django.core.management.utils import get_random_secret_key

from bench.rush import dockerfile_command as dockerfile_argv
from tests import template_db
from tests.e2e.conftest import browser_type_launch_args  # noqa: F401 - the same Chromium

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
#: What a TLS-terminating proxy adds to every request it forwards.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
#: Variables of the test process (some set by pyproject's pytest-env) the server must not inherit.
NOT_FOR_THE_SERVER = [
    "STATICFILES_BACKEND",
    "HTTPS",
    "TWO_FACTOR_ENFORCED",
    "SECRET_KEY",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "PGOPTIONS",
]


def dockerfile_command(port: int) -> list[str]:
    """The Dockerfile's CMD (exec form, read as the benchmark reads it), bound to HOST:port
    instead of the container's port."""
    out = dockerfile_argv()
    program = Path(sys.executable).with_name(out[0])  # the same virtualenv's gunicorn
    return [str(program) if program.exists() else out[0], *out[1:], "--bind", f"{HOST}:{port}"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class _Database:
    """A fresh database for the server: PostgreSQL beside DATABASE_URL's, else SQLite."""

    def __init__(self, tmp: Path):
        url = os.environ.get("DATABASE_URL", "")
        worker = os.environ.get("PYTEST_XDIST_WORKER", "")
        self.config = environ.Env.db_url_config(url) if url else None
        if self.config and self.config["ENGINE"] == "django.db.backends.postgresql":
            self.name = f"{self.config['NAME']}_production{'_' + worker if worker else ''}"
            self.url = urlsplit(url)._replace(path=f"/{self.name}").geturl()
        else:
            self.config = None
            self.url = f"sqlite:///{tmp / 'roper.sqlite3'}"

    def create(self):
        """PostgreSQL: a copy of the test template (tests/template_db.py), itself made by
        `manage.py migrate` from empty; the server's own `migrate` then runs as at a deploy,
        and finds it done."""
        if self.config:
            template_db.copy(self.config, self.name)

    def drop(self):
        if self.config:
            template_db.drop(self.config, self.name)


@dataclass
class Server:
    url: str
    log: Path

    def log_since(self, offset: int) -> str:
        return self.log.read_bytes()[offset:].decode(errors="replace")

    def log_size(self) -> int:
        return self.log.stat().st_size


def _run(argv, env, log):
    result = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    log.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"{' '.join(argv[1:])} failed:\n{result.stdout}{result.stderr}"


def _wait_until_healthy(url, process, log, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"gunicorn exited:\n{log.read_text()}"
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:  # not listening yet, or no worker ready (URLError is one)
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer /healthz in {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def roper_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("production")
    port = _free_port()
    url = f"http://{HOST}:{port}"
    database = _Database(tmp)
    env = {k: v for k, v in os.environ.items() if k not in NOT_FOR_THE_SERVER}
    env.update(
        DEBUG="false",
        HTTPS="true",
        SECRET_KEY=get_random_secret_key(),  # 50 random characters, as `check --deploy` asks
        TWO_FACTOR_ENFORCED="true",
        ALLOWED_HOSTS=HOST,
        # The browser speaks plain HTTP to gunicorn while the (simulated) proxy says HTTPS, so
        # its Origin header is http://…; behind a real proxy it is https://<host>, which Django
        # takes as same-origin with no setting.
        CSRF_TRUSTED_ORIGINS=url,
        DATABASE_URL=database.url,
        STATIC_ROOT=str(tmp / "static"),
        PRIVATE_STORAGE_ROOT=str(tmp / "private"),
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    # As in the Dockerfile: collectstatic at build time (it needs no database), meanwhile the
    # database is made.
    collect_log = tmp / "collectstatic.log"
    with collect_log.open("w") as out:
        collect = subprocess.Popen(  # noqa: S603 - our own manage.py
            [*manage, "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    process = None
    try:
        database.create()
        _run([*manage, "migrate", "--noinput", "-v0"], env, tmp / "migrate.log")
        _run([*manage, "seed_demo"], env, tmp / "seed_demo.log")
        assert collect.wait() == 0, f"collectstatic failed:\n{collect_log.read_text()}"

        log = tmp / "gunicorn.log"
        with log.open("w") as out:
            process = subprocess.Popen(  # noqa: S603 - the Dockerfile's own command
                dockerfile_command(port), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        _wait_until_healthy(url, process, log)
        yield Server(url=url, log=log)
    finally:
        if collect.poll() is None:
            collect.kill()
        if process is not None:
            process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: nothing to drain
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        database.drop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, roper_server):
    """An English school's browser, behind the school's TLS-terminating proxy; page.goto("/…")
    goes to the server. (Not through pytest-playwright's `base_url`: its session-scoped
    `browser_context_args` may already be made, without it, for tests/e2e.)"""
    return {
        **browser_context_args,
        "base_url": roper_server.url,
        "locale": "en-GB",
        "timezone_id": "Europe/London",
        "extra_http_headers": PROXY_HEADERS,
    }
