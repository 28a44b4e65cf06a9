"""A backup restores: records and private files come back, byte for byte, in a new database."""

import os
import subprocess
import sys
import uuid
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from incidents.models import Evidence
from incidents.services import concern_report
from tests.factories import category

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _admin_dsn(dbname="postgres"):
    s = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=dbname,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
    )


@pytest.fixture
def fresh_database():
    """A new, empty database, dropped afterwards."""
    name = f"roper_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(_admin_dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_new_database_and_private_folder(
    world, settings, tmp_path, fresh_database
):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    concern = concern_report(
        school=world.school,
        reporter=world.users["teacher"],
        data={
            "category": category(world.school, "social_media"),
            "what_happened": "Shown a screenshot of a group chat.",
            "happened_at": timezone.now(),
            "where": "Classroom",
        },
        involvements=[{"kind": "learner", "learner": world.learner, "part": "child"}],
        files=[SimpleUploadedFile("chat.png", PNG, "image/png")],
    )
    evidence = Evidence.objects.get(concern=concern)

    call_command("backup", output_dir=str(tmp_path / "backups"), stdout=StringIO())
    (archive,) = (tmp_path / "backups").glob("roper-backup-*.tar")
    assert archive.stat().st_mode & 0o077 == 0  # its owner alone may read it

    restored_private = tmp_path / "restored-private"
    s = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}"
        f"/{fresh_database}",
        "PRIVATE_STORAGE_ROOT": str(restored_private),
        "SECRET_KEY": "tests-only-not-secret",
    }
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "manage.py", "restore", str(archive)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    with psycopg.connect(_admin_dsn(fresh_database)) as restored:
        row = restored.execute(
            "SELECT what_happened FROM incidents_concern WHERE id = %s", [concern.pk]
        ).fetchone()
        files = restored.execute(
            "SELECT file FROM incidents_evidence WHERE concern_id = %s", [concern.pk]
        ).fetchall()
        learners = restored.execute("SELECT count(*) FROM people_learner").fetchone()
    assert row == ("Shown a screenshot of a group chat.",)
    assert files == [(evidence.file.name,)]
    assert learners == (2,)
    assert (restored_private / evidence.file.name).read_bytes() == PNG


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_restore_refuses_to_overwrite_a_database_in_use(world, tmp_path):
    call_command("backup", output_dir=str(tmp_path), stdout=StringIO())
    (archive,) = tmp_path.glob("roper-backup-*.tar")
    with pytest.raises(CommandError, match="Refusing to restore over data"):
        call_command("restore", str(archive))
    assert type(world.school).objects.filter(pk=world.school.pk).exists()  # left as it was
