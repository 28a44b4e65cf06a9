"""The demo (`manage.py seed_demo`) for tests: seeded once per test process, copied into each
test that asks for it (the `demo` fixture in tests/conftest.py).

Seeding takes seconds of CPU (210 learners with their histories, nine password hashes); a copy
is PostgreSQL's COPY of the rows the seed wrote, a few hundred milliseconds. The copy goes into
the test's own database state: rolled back after a test, flushed after a transactional one.
Elsewhere than PostgreSQL (SQLite on a laptop) the demo is seeded afresh for each test.
"""

from dataclasses import dataclass, field
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import time_machine
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction

#: The demo's moment: a Wednesday of the autumn term 2026, before the bell. The demo's records
#: are relative to the day it is seeded (handovers today, last term's figures), so every copy
#: is of the demo seeded then, and a test using it runs on that day (or travels from there).
DEMO_MOMENT = datetime(2026, 11, 25, 9, 0, tzinfo=ZoneInfo("Europe/London"))

#: Filled by migrations, not by the seed. Content types and permissions are copied too, but only
#: when a flush has re-created them under other ids (the demo's admin holds permissions).
MIGRATED = ("django_migrations",)
CONTENT_TYPES = ("django_content_type", "auth_permission")


def seed():
    with time_machine.travel(DEMO_MOMENT, tick=True):
        call_command("seed_demo", stdout=StringIO())


def _has_rows(cursor, table) -> bool:
    cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")')  # noqa: S608 - our table names
    return cursor.fetchone()[0]


def _copy_out(cursor, table) -> bytes:
    out = bytearray()
    with cursor.copy(f'COPY "{table}" TO STDOUT (FORMAT BINARY)') as copy:
        for chunk in copy:
            out += chunk
    return bytes(out)


def _copy_in(cursor, table, data: bytes):
    with cursor.copy(f'COPY "{table}" FROM STDIN (FORMAT BINARY)') as copy:
        copy.write(data)


def _content_types(cursor):
    cursor.execute("SELECT id, app_label, model FROM django_content_type ORDER BY id")
    return cursor.fetchall()


@dataclass
class Snapshot:
    """Every row the seed wrote, table by table, in PostgreSQL's binary COPY format."""

    rows: dict = field(default_factory=dict)
    content_types: list = field(default_factory=list)
    content_type_rows: dict = field(default_factory=dict)
    #: What `fill` returned (e.g. the ids of the rows a test fixture finds again).
    made: object = None

    @classmethod
    def take(cls, fill=None):
        """Run `fill` (the demo's seed, by default) in an empty database, copy the rows it
        wrote, and roll it back."""
        snapshot = cls()
        with transaction.atomic(), connection.cursor() as cursor:
            tables = connection.introspection.django_table_names(only_existing=True)
            tables = [t for t in tables if t not in MIGRATED + CONTENT_TYPES]
            for table in tables:
                if _has_rows(cursor, table):
                    raise RuntimeError(f"a snapshot is taken of an empty database: {table} is not")
            before = _content_types(cursor)
            snapshot.made = (fill or seed)()
            if _content_types(cursor) != before:
                raise RuntimeError("the seed made content types; copy them with its rows")
            snapshot.rows = {t: _copy_out(cursor, t) for t in tables if _has_rows(cursor, t)}
            snapshot.content_types = before
            snapshot.content_type_rows = {t: _copy_out(cursor, t) for t in CONTENT_TYPES}
            transaction.set_rollback(True)
        return snapshot

    def restore(self):
        """Copy the rows into the database (the test's transaction, when it has one)."""
        with transaction.atomic(), connection.cursor() as cursor:
            if _content_types(cursor) != self.content_types:
                # A transactional test's flush re-created them; the demo's rows name the old ids.
                cursor.execute("DELETE FROM auth_permission")
                cursor.execute("DELETE FROM django_content_type")
                for table in CONTENT_TYPES:
                    _copy_in(cursor, table, self.content_type_rows[table])
                ContentType.objects.clear_cache()
            for table, data in self.rows.items():
                _copy_in(cursor, table, data)
            models = [
                m
                for m in apps.get_models(include_auto_created=True)
                if m._meta.db_table in self.rows
            ]
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
