import pytest
from django.db.backends.utils import CursorWrapper

pytestmark = pytest.mark.django_db


def test_healthz_is_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_when_the_database_does_not_answer(client, monkeypatch):
    def broken(self, sql, params=None):
        raise RuntimeError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "database": "unavailable",
        "broker": response.json()["broker"],
        "status": "unavailable",
    }


@pytest.mark.redis
def test_healthz_reports_the_broker(client):
    assert client.get("/healthz").json()["broker"] == "ok"


def test_healthz_reports_a_broker_that_is_down_but_stays_200(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"].startswith("unavailable")


@pytest.mark.postgres
def test_it_runs_on_postgresql_with_the_connection_pool():
    from django.db import connection

    assert connection.vendor == "postgresql"
    assert connection.settings_dict["OPTIONS"]["pool"]
    assert connection.pool is not None
