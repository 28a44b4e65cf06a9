"""The morning rush and the home-time rush at the tiny scale, over HTTP against gunicorn
(PostgreSQL only): every check-in (every phone handed back) answered is in the database
exactly once. Its own module: the tiny data of test_bench.py live in a transaction that
gunicorn would not see."""

from datetime import time

import pytest
from django.db import connection

from bench.volume import SCALES, seed
from devices.models import DeviceSettings
from people.models import School

LAST = time(23, 59)
FIRST = time(0, 0)

pytestmark = pytest.mark.bench  # not in `make test`: `make test-bench`, a step of its own in CI


def quiet(*args, **kwargs):
    pass


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("home", "home_time", "port"),
    [(False, LAST, 8797), (True, FIRST, 8796)],
    ids=["morning", "home"],
)
def test_the_rush_counts_every_phone_moved_once(settings, home, home_time, port):
    """The morning rush checks phones in; the home-time rush hands back those held since the
    morning. Each answered is in the database once, with one desk entry."""
    from django.conf import global_settings

    from bench.rush import rush

    # gunicorn checks the desks' passwords with the real hashers, not the suite's fast one.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS

    seed("tiny", log=quiet)
    # Before home time (or from it) whenever the suite runs.
    for school in School.objects.all():
        DeviceSettings.objects.update_or_create(school=school, defaults={"home_time": home_time})
    result = rush(
        SCALES["tiny"][1],
        seconds=2,
        desks=2,
        port=port,
        rates=[4],
        layout=(1, 2),
        home=home,
        log=quiet,
    )
    (step,) = result["steps"]
    assert step["check_ins"] > 0
    # Each phone is what the desk page sends, in the morning and from home time: the Enter
    # alone (the name is searched in the roster the page read when it opened: without it,
    # each would send two searches), and a click on the row when the page asks which of two
    # learners was meant; the roster is read again each minute and after a refusal.
    assert step["searches"] == 0
    reads = step["roster_reads"]
    assert step["due"] + reads <= step["requests"] <= 2 * step["due"] + reads
    assert result["errors"] == 0, step["error_samples"]
    assert result["lost"] == result["duplicated"] == result["extra_in_database"] == 0
    assert step["in_database"] == step["check_ins"] == step["desk_entries_in"]
    assert connection.vendor == "postgresql"
