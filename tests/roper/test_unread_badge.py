"""The unread badge on every page: its count is kept in the shared cache between changes
(roper/notifications.py), and every change to the user's notifications shows at once."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roper.models import Notification
from roper.notifications import notification_send

pytestmark = pytest.mark.django_db


def _badge(client) -> tuple[int, int]:
    """(the unread count the badge shows, 0 for no badge; queries of notifications)."""
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("home"), follow=True).text
    found = re.search(r'text-bg-warning">(\d+)<span class="visually-hidden"> unread', html)
    counted = sum("roper_notification" in q["sql"] for q in queries.captured_queries)
    return (int(found.group(1)) if found else 0), counted


def test_the_badge_follows_every_change_and_is_counted_once(world, as_user, shared_cache):
    dsl, head = world.users["dsl"], world.users["head"]
    client = as_user(dsl)
    assert _badge(client) == (0, 1)
    assert _badge(client) == (0, 0)  # kept: no query on the next page

    notification_send(recipients=[dsl, head], school=world.school, title="A concern to triage")
    notification_send(recipients=[dsl], school=world.school, title="Another")
    assert _badge(client) == (2, 1)
    other = Client()
    other.force_login(head)
    assert _badge(other)[0] == 1

    first = Notification.objects.filter(recipient=dsl).order_by("pk").first()
    client.post(reverse("notification_read", args=[first.pk]))
    assert _badge(client) == (1, 1)

    client.post(reverse("notification_read_all"))
    assert _badge(client) == (0, 1)

    notification_send(recipients=[dsl], school=world.school, title="A third")
    assert _badge(client)[0] == 1
    Notification.objects.filter(recipient=dsl, read_at__isnull=True).delete()  # e.g. retention
    assert _badge(client)[0] == 0


def test_without_a_shared_cache_it_is_counted_on_every_page(world, as_user, settings):
    settings.SHARED_CACHE = False
    client = as_user(world.users["dsl"])
    assert _badge(client) == (0, 1)
    assert _badge(client) == (0, 1)
