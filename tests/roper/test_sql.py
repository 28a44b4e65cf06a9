"""roper/sql.py: statements prepared once per connection, and a transaction whose BEGIN and
COMMIT travel with its first and last statements (the desk's check-in)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from psycopg.pq import TransactionStatus

from devices import services
from devices.models import DeskEntry, Handover
from roper import sql
from roper.errors import Refused
from tests.factories import LearnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _idle() -> bool:
    return connection.connection.info.transaction_status == TransactionStatus.IDLE


def test_a_prepared_statement_answers_as_the_statement_written():
    doubled = sql.Prepared("roper_test_doubled", "SELECT %s * 2, %s", ("int", "text"))
    with connection.cursor() as cursor:
        cursor.execute(doubled.sql(connection), [21, "x"])
        assert cursor.fetchone() == (42, "x")
        cursor.execute(doubled.statement, [21, "x"])
        assert cursor.fetchone() == (42, "x")
    with pytest.raises(ValueError, match="2 parameters, 1 types"):
        sql.Prepared("roper_test_bad", "SELECT %s, %s", ("int",))


@pytest.mark.postgres
def test_a_statement_is_prepared_once_per_connection():
    tripled = sql.Prepared("roper_test_tripled", "SELECT %s * 3", ("int",))
    with CaptureQueriesContext(connection) as sent:
        for n in range(3):
            with connection.cursor() as cursor:
                cursor.execute(tripled.sql(connection), [n])
                assert cursor.fetchone() == (n * 3,)
    statements = [q["sql"] for q in sent.captured_queries]
    assert statements[0].startswith("PREPARE roper_test_tripled (int) AS SELECT $1 * 3")
    assert statements[1:] == [
        "EXECUTE roper_test_tripled(0)",
        *[f"EXECUTE roper_test_tripled({n})" for n in (1, 2)],
    ]


@pytest.mark.postgres
def test_the_check_ins_state_is_planned_once_not_on_every_phone():
    """What the preparing is for: after PostgreSQL's five custom plans, one generic plan
    serves every later check-in on the connection."""
    office = UserFactory()
    for learner in LearnerFactory.create_batch(8):
        services.handover_check_in(learner=learner, by=office)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE name LIKE 'devices_check_in_%%' ORDER BY name"
        )
        plans = {name: (generic, custom) for name, generic, custom in cursor.fetchall()}
    assert set(plans) == {"devices_check_in_lock", "devices_check_in_state"}
    for generic, custom in plans.values():
        assert generic >= 3 and custom <= 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_check_in_sends_begin_and_commit_with_its_statements_and_commits():
    learner, office = LearnerFactory(), UserFactory()
    with CaptureQueriesContext(connection) as sent:
        handover = services.handover_check_in(learner=learner, by=office)
    statements = [q["sql"] for q in sent.captured_queries if not q["sql"].startswith("PREPARE")]
    assert len(statements) == 2
    assert statements[0].startswith("BEGIN;EXECUTE devices_check_in_lock(")
    assert statements[1].startswith("WITH r AS (INSERT") and statements[1].endswith(";COMMIT")
    assert _idle()
    # Committed: another connection sees the handover and its entry.
    connection.close()
    assert Handover.objects.get().pk == handover.pk
    assert DeskEntry.objects.get().handover_id == handover.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_refused_check_in_is_rolled_back_and_leaves_the_connection_ready():
    learner, office = (
        LearnerFactory(legal_first_name="Amelia", legal_last_name="Khan"),
        UserFactory(),
    )
    services.handover_check_in(learner=learner, by=office)
    with pytest.raises(Refused, match="already checked in"):
        services.handover_check_in(learner=learner, by=office)
    assert _idle()  # the locks are released: the transaction is over
    assert Handover.objects.count() == 1 and DeskEntry.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_error_in_the_transaction_undoes_what_it_wrote():
    learner = LearnerFactory()
    with pytest.raises(RuntimeError), sql.transaction() as tx, connection.cursor() as cursor:
        cursor.execute(
            f"{tx.begin}UPDATE people_learner SET class_name = 'X' WHERE id = %s",  # noqa: S608
            [learner.pk],
        )
        raise RuntimeError("a bug after the first statement")
    assert _idle()
    learner.refresh_from_db()
    assert learner.class_name != "X"
    # A block that sends no COMMIT itself is committed at its end.
    with sql.transaction() as tx, connection.cursor() as cursor:
        cursor.execute(
            f"{tx.begin}UPDATE people_learner SET class_name = 'Y' WHERE id = %s",  # noqa: S608
            [learner.pk],
        )
    assert _idle()
    connection.close()
    learner.refresh_from_db()
    assert learner.class_name == "Y"


def test_inside_an_atomic_block_the_transaction_is_djangos():
    with transaction.atomic(), sql.transaction() as tx:
        assert (tx.begin, tx.commit) == ("", "")
