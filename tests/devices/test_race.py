"""Two desks acting on the same learner at the same moment: exactly one wins."""

import threading

import pytest
from django.db import connection

from devices import services
from devices.models import DeskEntry, Handover
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
