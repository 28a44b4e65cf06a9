"""A subject access request of a member of staff (issue 19): everything Roper holds about them
that the DSL or head may see, third parties flagged, on the secrecy rule, and audited."""

import json

import pytest
from django.urls import reverse

from roper.models import AccessLog
from tests.factories import head_allegation, report

pytestmark = pytest.mark.django_db


def _export(client, viewer, member):
    client.force_login(viewer)
    url = reverse("reports:staff_subject_access", args=[member.pk])
    response = client.get(url + "?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_dsl_gets_what_is_held_about_a_teacher_with_third_parties_flagged(world, client):
    teacher = world.users["teacher"]
    concern = report(world.school, teacher, people=[(world.learner, "child")])
    data = _export(client, world.users["dsl"], teacher)
    assert data["member"]["username"] == "teacher"
    assert "staff" in data["roles"][0]["roles"]
    (carried,) = data["concerns"]
    assert carried["number"] == concern.pk and carried["their part"] == "reported it"
    why = f"Child of concern in concern #{concern.pk}"
    assert {"name": "Amelia Khan", "why": why} in data["third_parties"]
    assert AccessLog.objects.filter(
        user=world.users["dsl"], what=f"subject access export of staff member {teacher.pk} (JSON)"
    ).exists()


def test_an_allegation_the_dsl_may_not_see_is_not_in_their_export(world, client):
    """An allegation about the headteacher goes to the chair, not the DSL: the DSL's export
    of the teacher who reported it, and of the head, leaves it out, and so does the access
    log of what the teacher opened; the head's own export of the teacher, too."""
    teacher = world.users["teacher"]
    allegation = head_allegation(world, reporter=teacher)
    AccessLog.record_access(
        user=teacher, obj=allegation, school=world.school, what=f"concern #{allegation.pk}"
    )
    visible = report(world.school, teacher, people=[(world.learner, "child")])
    AccessLog.record_access(
        user=teacher, obj=visible, school=world.school, what=f"concern #{visible.pk}"
    )
    for viewer, member in (("dsl", "teacher"), ("dsl", "head"), ("head", "teacher")):
        data = _export(client, world.users[viewer], world.users[member])
        assert str(allegation.pk) not in json.dumps(data), (viewer, member)
    data = _export(client, world.users["dsl"], teacher)
    assert [entry["what"] for entry in data["access_log"]] == [f"concern #{visible.pk}"]


def test_the_head_does_not_see_an_allegation_about_themself_in_anyones_export(world, client):
    allegation = head_allegation(world)
    data = _export(client, world.users["head"], world.users["teacher"])
    assert str(allegation.pk) not in json.dumps(data)
    assert "head" not in [c.get("their part") for c in data["concerns"]]


def test_a_member_of_another_school_is_not_found(world, client):
    client.force_login(world.users["dsl"])
    url = reverse("reports:staff_subject_access", args=[world.users["outsider"].pk])
    assert client.get(url).status_code == 404


def test_the_page_lists_the_school_and_marks_third_parties(world, client):
    report(world.school, world.users["teacher"], people=[(world.learner, "child")])
    client.force_login(world.users["dsl"])
    listing = client.get(reverse("reports:staff_subject_access_list")).content.decode()
    assert "Teacher Persona" in listing and "Outsider Persona" not in listing
    page = client.get(
        reverse("reports:staff_subject_access", args=[world.users["teacher"].pk])
    ).content.decode()
    assert "<mark>Amelia Khan</mark>" in page
