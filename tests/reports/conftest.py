from datetime import date

import pytest

from incidents.routing import categories_seed
from people.models import Term
from tests.reports.factories import TERMS

TODAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """The views' "today": in the autumn term 2026, so summer 2026 is the last completed."""
    monkeypatch.setattr("reports.views.today", lambda: TODAY)


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
