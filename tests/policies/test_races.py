import threading

import pytest
from django.db import connection

from policies import services
from policies.models import PolicyVersion
from tests.factories import MembershipFactory, SchoolFactory, ratified_policy


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_starting_a_review_at_once_get_one_draft():
    school = SchoolFactory()
    head = MembershipFactory(school=school, roles=["headteacher"]).user
    policy = ratified_policy(school, title="Mobile", slug="mobile")
    barrier = threading.Barrier(2)
    errors = []

    def start():
        try:
            barrier.wait()
            services.policy_review_start(policy=policy, by=head)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert PolicyVersion.objects.filter(policy=policy, ratified_on__isnull=True).count() == 1
