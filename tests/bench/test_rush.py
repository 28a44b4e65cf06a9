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
def test_the_morning_rush_counts_every_check_in_once(settings):
    from django.conf import global_settings

    from bench.rush import rush

    # gunicorn checks the desks' passwords with the real hashers, not the suite's fast one.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS

    seed("tiny", log=quiet)
    # Before home time whenever the suite runs: the page searches its roster.
    for school in School.objects.all():
        DeviceSettings.objects.update_or_create(school=school, defaults={"home_time": LAST})
    result = rush(
        SCALES["tiny"][1], seconds=2, desks=2, port=8797, rates=[4], layout=(1, 2), log=quiet
    )
    (step,) = result["steps"]
    assert step["check_ins"] > 0
    # Each check-in is what the desk page sends before home time: the Enter alone (the name
    # is searched in the roster the page read when it opened: without it, each would send two
    # searches), and a click on the row when the page asks which of two learners was meant;
    # the roster is read again each minute and after a refusal.
    assert step["searches"] == 0
    reads = step["roster_reads"]
    assert step["due"] + reads <= step["requests"] <= 2 * step["due"] + reads
    assert result["errors"] == 0, step["error_samples"]
    assert result["lost"] == result["duplicated"] == result["extra_in_database"] == 0
    assert step["in_database"] == step["check_ins"]
    assert connection.vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_home_time_rush_hands_each_phone_back_once(settings):
    from django.conf import global_settings

    from bench.rush import rush

    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    seed("tiny", log=quiet)
    # Home time whenever the suite runs: Enter hands back the phones held since the morning.
    for school in School.objects.all():
        DeviceSettings.objects.update_or_create(school=school, defaults={"home_time": FIRST})
    result = rush(
        SCALES["tiny"][1],
        seconds=2,
        desks=2,
        port=8796,
        rates=[4],
        layout=(1, 2),
        home=True,
        log=quiet,
    )
    (step,) = result["steps"]
    assert step["check_ins"] > 0
    # From home time too the page searches its roster: the Enter alone (and a click when the
    # page asks which of two learners was meant), no search while the name is typed.
    assert step["searches"] == 0
    reads = step["roster_reads"]
    assert step["due"] + reads <= step["requests"] <= 2 * step["due"] + reads
    assert result["errors"] == 0, step["error_samples"]
    assert result["lost"] == result["duplicated"] == result["extra_in_database"] == 0
    # Each phone answered as handed back is out in the database, with one desk entry.
    assert step["in_database"] == step["check_ins"] == step["desk_entries_in"]
