"""What a person sees when a part of Roper is down."""

import pytest
from django.db import OperationalError
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def stop_database(monkeypatch):
    """Every query fails from now on, as when PostgreSQL goes away mid-session."""

    def stop():
        def refuse(*args, **kwargs):
            raise OperationalError("could not connect to server: Connection refused")

        monkeypatch.setattr("django.db.backends.utils.CursorWrapper.execute", refuse)
        monkeypatch.setattr("django.db.backends.utils.CursorWrapper.executemany", refuse)

    return stop


def test_pages_answer_a_friendly_503_when_the_database_is_down(world, client, stop_database):
    client.force_login(world.users["teacher"])
    stop_database()
    client.raise_request_exception = False
    response = client.get(reverse("people:learners"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Roper is briefly unavailable" in response.text
    assert "Nothing you entered has been half-saved" in response.text
    assert "OperationalError" not in response.text and "Traceback" not in response.text


def test_healthz_says_the_database_is_down(client, stop_database):
    stop_database()
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_any_other_failure_is_a_plain_500_without_internals(world, client, monkeypatch):
    monkeypatch.setattr(
        "people.views.LearnerListView.get_queryset",
        lambda self: (_ for _ in ()).throw(ValueError("secret internal detail")),
    )
    client.force_login(world.users["teacher"])
    client.raise_request_exception = False
    response = client.get(reverse("people:learners"))
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "secret internal detail" not in response.text


def test_pages_and_reports_work_with_redis_down(world, client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    client.force_login(world.users["teacher"])
    assert client.get(reverse("people:learners")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
