"""The notifications page: the same few queries however many notifications are listed."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roper.models import Notification


def _notify(world, user, numbers):
    Notification.objects.bulk_create(
        Notification(school=world.school, recipient=user, title=f"Notice {i}", url="/")
        for i in numbers
    )


def test_the_page_makes_the_same_queries_for_one_notification_or_forty(world, as_user):
    user = world.users["teacher"]
    client = as_user(user)
    _notify(world, user, [0])
    client.get(reverse("notifications"))  # (the session written once)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("notifications"))
    _notify(world, user, range(1, 41))
    with CaptureQueriesContext(connection) as fifty:
        page = client.get(reverse("notifications")).content.decode()
    assert len(set(re.findall(r"Notice \d+", page))) == 41
    # Each row was a query of its own: `only()` deferred the recipient the manager sets.
    assert len(fifty) == len(one), [q["sql"][:90] for q in fifty.captured_queries]
