"""Statements sent to PostgreSQL the way it answers fastest, for the few that run on every
phone of the morning rush: prepared once per connection, and a transaction whose BEGIN and
COMMIT travel in the messages of its first and last statements.

PostgreSQL plans a statement every time it is sent. The desk's check-in's lock and state took
~0.45 ms to plan for ~0.15 ms of work; prepared, they are planned once per connection: one
generic plan, as every connection is told (`plan_cache_mode`, roper/settings.py), so a
statement must be written so that one plan suits every value of its parameters (equalities
and ranges on indexed columns; not a LIKE whose pattern is a parameter). Django's own
queries are not prepared (its cursors bind parameters client-side). And each of BEGIN and
COMMIT, sent alone as Django's `atomic()` sends them, is a round trip of its own
(bench/README.md, eighth pass).

    LOCK = Prepared("desk_lock", "SELECT … WHERE id = %s FOR NO KEY UPDATE", ("bigint",))

    with sql.transaction() as tx:
        cursor.execute(tx.begin + LOCK.sql(cursor.db), params)  # "BEGIN;EXECUTE desk_lock(…)"
        tx.skip_begin(cursor)
        …
        cursor.execute(insert + tx.commit, params)               # "INSERT …;COMMIT"

Elsewhere (SQLite), and inside an `atomic()` block (a caller's, a test's), the statements are
sent as written and the transaction is Django's `atomic()` (a savepoint inside a block).

A prepared statement lives on the server's connection: Roper talks to PostgreSQL directly
through psycopg's pool (docker-compose.yml). A pooler in transaction mode between them
(PgBouncer's `pool_mode = transaction`) would hand the EXECUTE to a connection that never saw
the PREPARE; such a deployment needs the pooler in session mode.
"""

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections
from django.db import transaction as django_transaction
from psycopg.pq import TransactionStatus

#: The names prepared on each connection (the psycopg connection: the pool keeps it across
#: requests, and with it what was prepared on it).
_PREPARED: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()


class Prepared:
    """A statement with `%s` parameters of the PostgreSQL `types` given, prepared as `name`
    on a connection the first time it is sent there (PREPARE is not undone by a rollback:
    it lasts as long as the connection)."""

    def __init__(self, name: str, sql: str, types: tuple[str, ...]):
        if sql.count("%s") != len(types):
            raise ValueError(f"{name}: {sql.count('%s')} parameters, {len(types)} types")
        self.name, self.statement, self.types = name, sql, types
        numbered, *rest = sql.split("%s")
        for n, part in enumerate(rest, 1):
            numbered += f"${n}{part}"
        self.prepare = f"PREPARE {name} ({', '.join(types)}) AS {numbered}"
        self.execute = (
            f"EXECUTE {name}({', '.join(['%s'] * len(types))})" if types else f"EXECUTE {name}"
        )

    def sql(self, connection) -> str:
        """What to send on `connection` (a Django connection) for this statement, with the
        same parameters: EXECUTE on PostgreSQL, prepared first if it is not yet on this
        connection; the statement itself elsewhere."""
        if connection.vendor != "postgresql":
            return self.statement
        connection.ensure_connection()
        prepared = _PREPARED.setdefault(connection.connection, set())
        if self.name not in prepared:
            with connection.cursor() as cursor:
                cursor.execute(self.prepare)
            prepared.add(self.name)  # once PREPARE has succeeded, and not before
        return self.execute


def server_encoding(connection) -> str:
    """The PostgreSQL server's encoding (told at connection, read without a query)."""
    connection.ensure_connection()
    return connection.connection.info.parameter_status("server_encoding") or ""


@dataclass
class Transaction:
    """What the caller puts before its first statement (`begin`) and after its last
    (`commit`): empty when the transaction is Django's atomic()."""

    begin: str = ""
    commit: str = ""

    def skip_begin(self, cursor) -> None:
        """Past BEGIN's (empty) result, to the first statement's."""
        if self.begin:
            cursor.nextset()


@contextmanager
def transaction(using: str = "default") -> Iterator[Transaction]:
    """A transaction whose BEGIN and COMMIT are sent with the caller's first and last
    statements (PostgreSQL, outside any atomic() block): rolled back when the block raises;
    committed at its end if the caller's last statement did not. Otherwise atomic()."""
    connection = connections[using]
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        or not connection.get_autocommit()
    ):
        with django_transaction.atomic(using=using):
            yield Transaction()
        return
    connection.ensure_connection()
    raw = connection.connection

    def finish(command: str) -> None:
        if raw.info.transaction_status != TransactionStatus.IDLE:
            with connection.cursor() as cursor:
                cursor.execute(command)

    try:
        yield Transaction(begin="BEGIN;", commit=";COMMIT")
    except BaseException:
        finish("ROLLBACK")
        raise
    finish("COMMIT")
