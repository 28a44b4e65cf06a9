"""Small things staff meet every day: end of day is in the menu and linked from the desk,
dashboard dates carry the year, the who-viewed list of a concern is paged, and the README
documents the `PORT` that `make run` reads."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from incidents.models import Concern
from roper.models import AccessLog
from tests.factories import learner_concern

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_end_of_day_is_in_the_menu_and_linked_from_the_desk(world, as_user):
    page = as_user(world.users["office"]).get(reverse("devices:desk")).content.decode()
    url = reverse("devices:end_of_day")
    assert re.search(rf'<a class="nav-link[^"]*" href="{url}"\s*>End of day</a>', page)
    assert page.count(f'href="{url}"') == 2  # the menu and the desk


def test_the_menu_offers_end_of_day_only_to_the_desk(world, as_user):
    page = as_user(world.users["teacher"]).get(reverse("incidents:mine")).content.decode()
    assert reverse("devices:end_of_day") not in page


def test_dashboard_dates_show_the_year(world, as_user):
    concern = learner_concern(world)
    Concern.objects.filter(pk=concern.pk).update(reported_at=timezone.now() - timedelta(days=400))
    concern.refresh_from_db()
    page = as_user(world.users["dsl"]).get(reverse("incidents:dashboard")).content.decode()
    local = timezone.localtime(concern.reported_at)
    assert f"{local.day} {local:%b %Y %H:%M}" in page


def test_the_who_viewed_list_is_paged(world, as_user):
    concern = learner_concern(world)
    kind = ContentType.objects.get_for_model(Concern)
    AccessLog.objects.bulk_create(
        AccessLog(
            school=world.school,
            user=world.users["teacher"],
            user_name=f"Viewer Number{n:03d}",
            action="view",
            content_type=kind,
            object_id=concern.pk,
            what=f"concern #{concern.pk}",
        )
        for n in range(120)
    )
    client = as_user(world.users["dsl"])
    url = reverse("incidents:detail", args=[concern.pk])
    pages = [client.get(url).content.decode()]
    while older := re.search(r'href="\?views_before=(\d+)#views-heading">Older', pages[-1]):
        pages.append(client.get(url, {"views_before": older.group(1)}).content.decode())
    assert len(pages) == 3  # 50 rows a page; the DSL's own views are logged too
    seen = re.findall(r"Viewer Number\d{3}", "".join(pages))
    assert len(seen) == len(set(seen)) == 120  # every view reached once, none cut off


def test_the_readme_documents_the_port_make_run_reads():
    makefile = (ROOT / "Makefile").read_text()
    run = re.search(r"^run:.*?\n\n", makefile, re.S | re.M).group(0)
    readme = (ROOT / "README.md").read_text()
    variables = set(re.findall(r"\$\$\{(\w+)", run))
    assert "PORT" in variables
    for variable in variables:
        assert f"| `{variable}` |" in readme, variable
