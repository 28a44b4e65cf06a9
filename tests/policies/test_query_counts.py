from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policies import services
from tests.factories import MembershipFactory, TrainingSessionFactory, ratified_policy


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_page_query_counts_do_not_grow_with_the_data(world, head, client):
    client.force_login(head)
    policy = ratified_policy(world.school, title="Mobile", slug="mobile")
    session = TrainingSessionFactory(school=world.school)
    urls = [
        reverse("policies:list"),
        policy.get_absolute_url(),
        reverse("policies:acknowledgements", args=[policy.slug, 1]),
        reverse("policies:training"),
    ]
    client.get(urls[0])  # the unread badge's count, kept from the first page
    before = [_count(client, u) for u in urls]
    for n in range(20):
        user = MembershipFactory(school=world.school, roles=["staff"]).user
        services.acknowledgement_record(version=policy.current_version, user=user)
        session.attendees.add(user)
        ratified_policy(world.school, title=f"Extra {n}", slug=f"extra-{n}")
        TrainingSessionFactory(school=world.school).attendees.add(user)
    client.get(urls[0])
    after = [_count(client, u) for u in urls]
    assert after == before
