"""Settings are read from the environment and a bad value stops start-up, naming it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(command, **env):
    # The subprocess starts from this environment less what the test run itself sets.
    unset = {"SECRET_KEY", "DEBUG", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, *command],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _start(*args, **env):
    return _run(["manage.py", "check", *args], **env)


def _serve(**env):
    """Load the WSGI application as gunicorn does."""
    return _run(["-c", "import roper.wsgi"], **env)


def test_it_refuses_to_serve_without_a_secret_key_unless_debug():
    result = _serve()
    assert result.returncode != 0
    assert "SECRET_KEY is required unless DEBUG=true" in result.stderr
    assert _serve(DEBUG="true").returncode == 0
    assert _serve(SECRET_KEY="k" * 50).returncode == 0


def test_a_secret_key_starting_with_a_dollar_is_read_as_it_is():
    """`get_random_secret_key` gives one in fifty: django-environ took it for the name of
    another variable, read it as empty, and Roper refused to start."""
    key = "$" + "k" * 49
    result = _run(
        ["-c", "import roper.wsgi; from django.conf import settings; print(settings.SECRET_KEY)"],
        SECRET_KEY=key,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key


def test_code_only_commands_run_without_a_secret_key():
    """makemigrations --check and check read the code: a newcomer needs no key for them."""
    result = _start()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEBUG", "maybe"), ("DATABASE_URL", "nosuchdb://x"), ("IDLE_MINUTES", "eight")],
)
def test_a_bad_value_names_the_variable(name, value):
    result = _start(SECRET_KEY="x" * 50, **{name: value})
    assert result.returncode != 0
    assert f"Environment variable {name} has a bad value" in result.stderr


def test_defaults_suit_a_school_in_england(settings):
    assert settings.TIME_ZONE == "Europe/London"
    assert settings.LANGUAGE_CODE == "en-gb"


def test_production_settings_pass_check_deploy_with_no_warning():
    result = _start(
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="k" + "3f9Jq0vX7pL2mN8sR4tY6wZ1aB5cD9eF0gH2iJ4kL6mN8oP0qR2sT4uV6",
        ALLOWED_HOSTS="roper.school.example",
        CSRF_TRUSTED_ORIGINS="https://roper.school.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_plans_for_a_database_held_in_memory():
    """random_page_cost 1.1 on Roper's connections (roper/settings.py): with PostgreSQL's 4.0
    the triage dashboard hashed every learner of the school to name 177 of them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"
