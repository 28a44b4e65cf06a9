from datetime import date

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from policies import services
from tests.factories import ratified_policy

STAFF = {"office", "teacher", "leadership", "osl", "dsl", "deputy_dsl", "head"}


@pytest.fixture
def policy(world):
    return ratified_policy(world.school, title="Mobile technology", slug="mobile-technology")


def test_only_staff_count_towards_the_acknowledgements(policy, world):
    summary = services.acknowledgement_summary(version=policy.current_version)
    assert {u.username for u in summary.outstanding} == STAFF
    assert summary.total == 7 and summary.done == 0 and summary.percent == 0


def test_acknowledging_counts_for_the_version(policy, world, client):
    for name in ("teacher", "office"):
        client.force_login(world.users[name])
        client.post(reverse("policies:acknowledge", args=[policy.slug]))
    summary = services.acknowledgement_summary(version=policy.current_version)
    assert summary.done == 2 and summary.percent == 29
    assert {u.username for u, _ in summary.acknowledged} == {"teacher", "office"}


def test_acknowledging_twice_counts_once(policy, teacher):
    services.acknowledgement_record(version=policy.current_version, user=teacher)
    services.acknowledgement_record(version=policy.current_version, user=teacher)
    assert services.acknowledgement_summary(version=policy.current_version).done == 1


def test_a_new_version_resets_the_acknowledgements(policy, world, teacher, head):
    services.acknowledgement_record(version=policy.current_version, user=teacher)
    services.policy_review_start(policy=policy, by=head)
    services.policy_ratify(policy=policy, by=head, ratified_on=date(2026, 3, 1))
    new = policy.current_version
    assert new.number == 2
    assert services.acknowledgement_summary(version=new).done == 0
    old = policy.versions.get(number=1)
    assert services.acknowledgement_summary(version=old).done == 1
    assert services.acknowledgements_outstanding(user=teacher, school=world.school) == [new]


def test_a_governor_cannot_acknowledge(policy, governor, client):
    client.force_login(governor)
    assert client.post(reverse("policies:acknowledge", args=[policy.slug])).status_code == 403


def test_governors_see_the_percentage_but_not_the_names(policy, world, client):
    services.acknowledgement_record(version=policy.current_version, user=world.users["teacher"])
    url = reverse("policies:acknowledgements", args=[policy.slug, 1])
    for persona in ("governor", "chair"):
        client.force_login(world.users[persona])
        html = client.get(url).content.decode()
        assert "14%" in html
        assert world.users["teacher"].get_full_name() not in html
        assert world.users["office"].get_full_name() not in html
        assert "Have not acknowledged" not in html
        detail = client.get(policy.get_absolute_url()).content.decode()
        assert world.users["office"].get_full_name() not in detail


def test_the_headteacher_sees_who_has_and_has_not_acknowledged(policy, world, client):
    services.acknowledgement_record(version=policy.current_version, user=world.users["teacher"])
    client.force_login(world.users["head"])
    html = client.get(reverse("policies:acknowledgements", args=[policy.slug, 1])).content.decode()
    has, has_not = html.split("Have not acknowledged")
    assert world.users["teacher"].get_full_name() in has
    assert world.users["office"].get_full_name() in has_not


def _home_panel(user, school):
    request = RequestFactory().get("/")
    request.user, request.school = user, school
    template = Template("{% load policies_tags %}{% policies_to_read %}")
    return template.render(Context({"request": request}))


def test_a_staff_member_sees_what_they_still_have_to_read(policy, world, teacher):
    assert "Mobile technology" in _home_panel(teacher, world.school)
    services.acknowledgement_record(version=policy.current_version, user=teacher)
    assert "Mobile technology" not in _home_panel(teacher, world.school)


def test_a_governor_has_nothing_to_read_on_the_home_page(policy, world, governor):
    assert "Mobile technology" not in _home_panel(governor, world.school)


def test_a_policy_that_need_not_be_read_is_not_asked_for(world, teacher):
    ratified_policy(world.school, title="Lettings", slug="lettings", requires_acknowledgement=False)
    assert services.acknowledgements_outstanding(user=teacher, school=world.school) == []


def test_the_box_of_policies_to_read_reads_no_policy_text(policy, world, teacher):
    """It is on every page a member of staff opens: it reads titles and numbers, never the
    texts (every ratified version's and its policy's, tens of kilobytes each)."""
    with CaptureQueriesContext(connection) as queries:
        outstanding = services.acknowledgements_outstanding(user=teacher, school=world.school)
    assert [v.policy.title for v in outstanding] == ["Mobile technology"]
    assert not [q["sql"] for q in queries if '"body"' in q["sql"]]
