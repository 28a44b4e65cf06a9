"""Two desks acting on the same learner at the same moment: exactly one wins."""

import threading
import time

import pytest
from django.db import connection, transaction

from devices import services
from devices.models import DeskEntry, Handover, StaffException
from roper.errors import Refused
from tests.factories import LearnerFactory, UserFactory


def run_at_once(*actions):
    """Run each action in its own thread (its own database connection), all at once."""
    barrier = threading.Barrier(len(actions))
    results = []

    def desk(action):
        try:
            barrier.wait()
            action()
            results.append("ok")
        except Refused as error:
            results.append(str(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=desk, args=[action]) for action in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_desks_checking_in_the_same_learner_at_once_one_wins():
    learner = LearnerFactory(legal_first_name="Amelia", legal_last_name="Khan", preferred_name="")
    desks = [UserFactory(), UserFactory()]
    for _ in range(5):  # several rounds, to give the race every chance
        Handover.objects.filter(learner=learner).update(undone_at="2000-01-01T00:00Z")
        results = run_at_once(
            *[lambda u=u: services.handover_check_in(learner=learner, by=u) for u in desks]
        )
        assert sorted(results)[-1] == "ok" and results.count("ok") == 1, results
        (refusal,) = [r for r in results if r != "ok"]
        assert "Amelia Khan's phone was already checked in" in refusal
    assert Handover.objects.filter(learner=learner, undone_at__isnull=True).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_desks_checking_out_the_same_phone_at_once_one_wins():
    learner = LearnerFactory()
    office = UserFactory()
    services.handover_check_in(learner=learner, by=office)
    check_out = lambda: services.handover_check_out(learner=learner, by=office)  # noqa: E731
    results = run_at_once(check_out, check_out)
    assert results.count("ok") == 1, results
    assert any("already checked out" in r for r in results)
    assert DeskEntry.objects.filter(kind="out").count() == 1


def _waiting_on_a_lock(seconds=10) -> bool:
    """Whether another connection is waiting for a row lock, within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_pouch_number_given_at_another_desk_meanwhile_is_seen_after_the_wait():
    """Desk 1 is checking Amelia in under pouch 7 (its locks held, not yet committed) when
    desk 2 checks Ben in under pouch 7: desk 2 waits for desk 1, then reads the day as desk 1
    left it (the state is read after the locks are granted, not before) and is refused."""
    amelia = LearnerFactory(legal_first_name="Amelia", legal_last_name="Khan", preferred_name="")
    ben = LearnerFactory(school=amelia.school)
    office = UserFactory()
    held, release = threading.Event(), threading.Event()
    results = {}

    def desk_1():
        try:
            with transaction.atomic():
                services.handover_check_in(learner=amelia, by=office, tag="7")
                held.set()
                release.wait(20)
            results[1] = "ok"
        finally:
            held.set()
            connection.close()

    def desk_2():
        held.wait(20)
        try:
            services.handover_check_in(learner=ben, by=office, tag="7")
            results[2] = "ok"
        except Refused as refusal:
            results[2] = str(refusal)
        finally:
            connection.close()

    threads = [threading.Thread(target=desk_1), threading.Thread(target=desk_2)]
    for t in threads:
        t.start()
    try:
        held.wait(20)
        assert _waiting_on_a_lock(), "desk 2 did not wait for desk 1's locks"
    finally:
        release.set()
        for t in threads:
            t.join()
    assert results[1] == "ok"
    assert results[2].startswith("Pouch 7 is already in use today: Amelia Khan"), results[2]
    assert list(Handover.objects.filter(tag="7").values_list("learner", flat=True)) == [amelia.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deciders_approving_and_declining_one_request_at_once_one_decides():
    """Each decider's page read the request pending; they decide at the same moment, one
    approving and one declining: one decision is recorded, the other is told it was decided."""
    teacher = UserFactory()
    leadership, head = UserFactory(), UserFactory()
    school = LearnerFactory().school
    for _ in range(5):  # several rounds, to give the race every chance
        request = StaffException.objects.create(
            school=school, requested_by=teacher, kind="device", details="On call"
        )
        pages = [StaffException.objects.get(pk=request.pk) for _ in range(2)]
        results = run_at_once(
            lambda p=pages[0]: p.decide(by=leadership, approve=True, reason="Fine"),
            lambda p=pages[1]: p.decide(by=head, approve=False, reason="Not in lessons"),
        )
        assert results.count("ok") == 1, results
        assert "This request has already been decided." in results
        request.refresh_from_db()
        decided = [h.status for h in request.history.order_by("history_date")]
        assert decided == ["pending", request.status], decided
        assert request.decided_by == (leadership if request.status == "approved" else head)
