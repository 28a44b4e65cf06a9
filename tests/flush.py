"""A cheaper flush between transactional tests, on PostgreSQL.

Django empties the database after each transactional test (a browser journey, a race) with one
`TRUNCATE` of every table, ~130 of them: PostgreSQL gives each a new file, and that took 1.5 to
5 s per test here, a ninth of the suite's time. After a test only a few tables hold rows, so
this flush empties just those:

- with `DELETE`, under `session_replication_role = replica` for the flush's own transaction, so
  that neither the foreign-key checks (every referencing row is deleted in the same statement
  list) nor the append-only triggers of the access log and the audit (the application's guard,
  not the test runner's) run. That setting needs a superuser, as the CI database user is;
- otherwise (a role that may not set it) with one `TRUNCATE` of the tables that hold rows.

Content types and permissions are left in place (a flush would delete them and the post_migrate
signal make them again, under new ids): the database is as `migrate` left it either way.
"""

from django.db.backends.postgresql.operations import DatabaseOperations

KEPT = {"django_content_type", "auth_permission", "django_migrations"}
_django_sql_flush = DatabaseOperations.sql_flush


def _filled(connection, tables) -> list[str]:
    qn = connection.ops.quote_name
    probes = " UNION ALL ".join(
        f"(SELECT {n} WHERE EXISTS (SELECT 1 FROM {qn(table)}))"  # noqa: S608 - our tables
        for n, table in enumerate(tables)
    )
    with connection.cursor() as cursor:
        cursor.execute(probes)
        return [tables[row[0]] for row in cursor.fetchall()]


def _may_replicate(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    tables = [t for t in tables if t not in KEPT]
    if reset_sequences or not tables:
        return _django_sql_flush(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    filled = _filled(self.connection, tables)
    if not filled:
        return []
    if _may_replicate(self.connection):
        # SET LOCAL: only until the end of the flush's transaction (execute_sql_flush's atomic).
        return [
            "SET LOCAL session_replication_role = replica",
            *(f"DELETE FROM {self.quote_name(t)}" for t in filled),  # noqa: S608
        ]
    return _django_sql_flush(self, style, filled, allow_cascade=allow_cascade)


def install():
    DatabaseOperations.sql_flush = sql_flush
