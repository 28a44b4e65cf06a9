"""docker-compose.yml and the Dockerfile as a school runs them (there is no Docker engine in
CI: these read the files)."""

import json
import re
from pathlib import Path

import pytest
import yaml

from roper import settings as roper_settings

ROOT = Path(__file__).resolve().parents[2]
#: Services that run once and exit: their exit status is their health.
ONE_SHOT = {"migrate", "backup"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def _command(service) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else command


def _dockerfile_instructions(name):
    return [
        line.split(None, 1)[1]
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.startswith(f"{name} ")
    ]


def test_every_long_running_service_has_a_health_check(services):
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    for name, service in services.items():
        if name in ONE_SHOT:
            assert service.get("restart") == "no", name
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_migrations_run_once_before_web_worker_and_beat(services):
    assert "migrate" in _command(services["migrate"])
    for name, service in services.items():
        assert not ("migrate" in _command(service) and "gunicorn" in _command(service)), name
        assert not _command(service).startswith("sh -c"), f"{name} runs under a shell"
    for name in ("web", "worker", "beat"):
        after = services[name]["depends_on"]["migrate"]
        assert after == {"condition": "service_completed_successfully"}, name


def test_gunicorn_is_pid_1_as_a_non_root_user():
    (cmd,) = _dockerfile_instructions("CMD")
    argv = json.loads(cmd)  # exec form: no shell between Docker and gunicorn
    assert argv[:2] == ["gunicorn", "roper.wsgi:application"]
    users = _dockerfile_instructions("USER")
    assert users and users[-1] not in {"root", "0"}


def test_the_web_port_is_open_to_this_machine_only(services):
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} to every address"
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_secrets_never_enter_the_image_or_git():
    for ignore in (".dockerignore", ".gitignore"):
        lines = (ROOT / ignore).read_text().splitlines()
        assert ".env" in lines and ".env.*" in lines, ignore
    assert "!.env.example" in (ROOT / ".gitignore").read_text().splitlines()


def test_the_broker_image_has_an_open_source_licence(services):
    image = services["redis"]["image"]
    assert not image.startswith(("redis:", "redis/")), image  # RSAL/SSPL from Redis 7.4
    assert image.startswith("valkey/valkey:")


def test_beat_health_reads_the_schedule_file_beat_writes(services):
    command = _command(services["beat"])
    (schedule,) = re.findall(r"--schedule (\S+)", command)
    assert schedule in " ".join(services["beat"]["healthcheck"]["test"])


def test_env_example_documents_every_setting_a_server_must_set():
    documented = set(
        re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    read = set(re.findall(r'_read\(\s*"([A-Z0-9_]+)"', Path(roper_settings.__file__).read_text()))
    # Set by docker-compose.yml itself, or for development and tests only.
    not_for_env = {
        "DATABASE_URL",
        "REDIS_URL",
        "PRIVATE_STORAGE_ROOT",
        "DEBUG",
        "TWO_FACTOR_ENFORCED",
        "STATICFILES_BACKEND",
        # Fixed when the image is built (collectstatic): changing it at run time would
        # leave the server without its static files.
        "STATIC_ROOT",
    }
    assert read - not_for_env <= documented, read - not_for_env - documented
    assert "POSTGRES_PASSWORD" in documented
