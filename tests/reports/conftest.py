from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from incidents.routing import categories_seed
from people.models import Term
from tests.factories import TERMS

TODAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _today():
    """Today is in the autumn term 2026, so summer 2026 is the last completed (the clock is
    pinned at noon in London, for the views and everything else alike)."""
    noon = datetime.combine(TODAY, time(12), tzinfo=ZoneInfo("Europe/London"))
    with time_machine.travel(noon, tick=False):
        yield


@pytest.fixture
def terms(world):
    """Term dates and categories for both schools of the world."""
    for school in (world.school, world.other_school):
        for season, start, end in TERMS:
            Term.objects.get_or_create(
                school=school, starts_on=start, defaults={"season": season, "ends_on": end}
            )
        categories_seed(school=school)
    return world
