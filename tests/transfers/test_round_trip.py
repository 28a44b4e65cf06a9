"""A package made from one Roper database is imported into another, fresh one (a SQLite
file migrated by a `manage.py` of its own, in another process) with nothing lost: the
receiving Roper makes a package of what it imported, and every record, text, date and file
hash is the same as in the one sent. Only what cannot travel differs, and is left out of the
comparison: record numbers (drawn afresh), the package's own identity and, for each record,
who recorded it (the sending school's staff have no account here: the records are the
importing DSL's, and the package's names are kept on the import)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from devices import services as devices_services
from transfers.package import package_data, package_seal

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "amber-acorn-river-oak-elm"
#: Differ by design (see the module's docstring).
IDENTITY = {"package_id", "made_at", "made_by", "from_school", "to_school", "number"}
REFERENCES = {"concern", "confiscation"}  # numbers of records in the package

SETUP = """
from django.contrib.auth import get_user_model
from people.models import Membership, School
school = School.objects.create(name="Hill Primary", urn="700001")
user = get_user_model().objects.create_user("hilldsl", first_name="Hana", last_name="Hill")
Membership.objects.create(user=user, school=school, roles=["dsl"])
"""
EXPORT = """
import json, sys
from django.contrib.auth import get_user_model
from people.models import Learner
from transfers.package import package_data
learner = Learner.objects.get(school__urn="700001")
user = get_user_model().objects.get(username="hilldsl")
sys.stdout.write("PACKAGE:" + json.dumps(package_data(learner=learner, user=user)))
"""


def _people_fields() -> set[str]:
    """The fields that name a member of staff, in any record a package carries."""
    user = get_user_model()
    return {
        field.name
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is user
    }


def _comparable(node, people):
    if isinstance(node, list):
        return [_comparable(item, people) for item in node]
    if isinstance(node, dict):
        return {
            key: (value is not None) if key in REFERENCES else _comparable(value, people)
            for key, value in node.items()
            if key not in IDENTITY and key not in people
        }
    return node


def _manage(env, *args, stdin=None) -> str:
    done = subprocess.run(  # noqa: S603 - our own manage.py, arguments we wrote
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_package_travels_to_another_database_with_nothing_lost(world, held, tmp_path):
    w = world
    _, phone, _ = held
    devices_services.confiscation_move(
        confiscation=phone, to_state="secured", by=w.users["dsl"], location="DSL's safe"
    )
    sent = package_data(learner=w.learner, user=w.users["dsl"], to_name="Hill Primary")
    assert sent["concerns"] and sent["confiscations"] and sent["concerns"][0]["evidence"]
    package = tmp_path / "amelia.roper"
    package.write_bytes(package_seal(sent, passphrase=PASSPHRASE))

    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'receiving.sqlite3'}",
        PRIVATE_STORAGE_ROOT=str(tmp_path / "receiving-files"),
        DEBUG="true",
        SECRET_KEY="round-trip-test-only",
        ROPER_PASSPHRASE=PASSPHRASE,
    )
    _manage(env, "migrate", "-v0")
    _manage(env, "shell", "-c", SETUP)
    out = _manage(
        env, "import_transfer_package", str(package), "--school", "700001", "--user", "hilldsl"
    )
    assert "imported" in out
    received = json.loads(_manage(env, "shell", "-c", EXPORT).split("PACKAGE:", 1)[1])

    people = _people_fields()
    assert _comparable(received, people) == _comparable(sent, people)
    # The comparison saw the records, their texts, dates and files' hashes and sizes.
    assert len(received["concerns"]) == len(sent["concerns"])
    assert [e["sha256"] for c in received["concerns"] for e in c["evidence"]] == [
        e["sha256"] for c in sent["concerns"] for e in c["evidence"]
    ]
    assert received["concerns"][0]["what_happened"] == sent["concerns"][0]["what_happened"]
    assert received["concerns"][0]["reported_at"] == sent["concerns"][0]["reported_at"]
