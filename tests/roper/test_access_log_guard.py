"""The access log is append-only in PostgreSQL itself, and it records refused attempts on the
records whose views it logs (a concern, a learner's chronology, a police hand-over)."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from devices import services as devices
from devices.models import CustodyState
from roper.models import AccessLog
from tests.factories import learner_concern, secured

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(world):
    return AccessLog.record_access(
        user=world.users["dsl"], obj=world.learner, school=world.school, what="chronology"
    )


# -- Append-only in the database ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE roper_accesslog SET what = 'nothing to see'",
        "UPDATE roper_accesslog SET user_id = NULL, user_name = 'someone else'",
        "DELETE FROM roper_accesslog",
        "TRUNCATE roper_accesslog",
    ],
)
def test_postgresql_refuses_to_rewrite_the_access_log(sql, entry):
    with transaction.atomic(), connection.cursor() as cursor:
        # The test suite allows TRUNCATE for its flush between tests (pyproject.toml): not here.
        cursor.execute("SET LOCAL roper.allow_access_log_truncate = 'off'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred check
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute(sql)
    entry.refresh_from_db()
    assert entry.what == "chronology"
    assert entry.user_name == entry.user.get_full_name()


@pytest.mark.postgres
def test_postgresql_refuses_queryset_updates_and_deletes_that_skip_the_model(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=entry.pk).update(what="nothing to see")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=entry.pk).delete()
    assert AccessLog.objects.get(pk=entry.pk).what == "chronology"


@pytest.mark.postgres
def test_deleting_a_user_still_keeps_their_name_on_the_log(entry, world):
    world.users["dsl"].delete()  # Django sets user_id to NULL: the one update allowed
    entry.refresh_from_db()
    assert entry.user is None
    assert entry.user_name == world.users["dsl"].get_full_name()


# -- Refused attempts are logged ----------------------------------------------------------


def _refused(obj=None):
    rows = AccessLog.objects.filter(outcome=AccessLog.Outcome.REFUSED)
    if obj is not None:
        rows = rows.filter(object_id=obj.pk)
    return rows


def test_a_refused_look_at_a_concern_is_on_its_access_list_for_the_dsl(world, as_user):
    concern = learner_concern(world)  # reported by the teacher; the office may not see it
    office = world.users["office"]
    assert as_user(office).get(reverse("incidents:detail", args=[concern.pk])).status_code == 404
    refusal = _refused(concern).get()
    assert (refusal.user, refusal.school) == (office, world.school)
    assert refusal.what == f"concern #{concern.pk}"

    page = as_user(world.users["dsl"]).get(reverse("incidents:detail", args=[concern.pk])).text
    views = page.split('id="views-heading"')[1]
    assert office.get_full_name() in views
    assert "Refused" in views


def test_another_schools_attempt_on_a_concern_is_logged_in_the_concerns_school(world, as_user):
    concern = learner_concern(world)
    response = as_user(world.users["outsider"]).get(reverse("incidents:detail", args=[concern.pk]))
    assert response.status_code == 404
    refusal = _refused(concern).get()
    assert refusal.user == world.users["outsider"]
    assert refusal.school == world.school


def test_a_refused_chronology_is_logged(world, as_user):
    url = reverse("reports:chronology", args=[world.learner.pk])
    assert as_user(world.users["teacher"]).get(url).status_code == 403
    refusal = _refused(world.learner).get()
    assert refusal.user == world.users["teacher"]
    assert refusal.what == f"chronology of learner {world.learner.pk}"


def test_a_refused_look_at_a_police_hand_over_is_logged(world, as_user):
    dsl = world.users["dsl"]
    confiscation = secured(world.learner, dsl)
    devices.confiscation_move(
        confiscation=confiscation,
        to_state=CustodyState.POLICE,
        by=dsl,
        officer="PC 1234 Jones",
        force="Kent Police",
        reference="KP/26/991",
        seal_number="S-1",
    )
    url = reverse("devices:confiscation", args=[confiscation.pk])
    assert as_user(world.users["governor"]).get(url).status_code == 403
    assert _refused(confiscation).get().user == world.users["governor"]


def test_a_refused_evidence_download_is_logged_on_its_concern(world, as_user):
    from tests.incidents.access import KINDS, _evidence_url

    builder = KINDS["learner"][0]
    url = _evidence_url(builder)(world, None)
    response = as_user(world.users["office"]).get(url)
    assert response.status_code == 404
    refusal = _refused().get()
    assert refusal.action == AccessLog.Action.DOWNLOAD
    assert refusal.what.startswith("evidence ")


def test_a_record_that_does_not_exist_logs_nothing(world, as_user):
    response = as_user(world.users["office"]).get(reverse("incidents:detail", args=[999999]))
    assert response.status_code == 404
    assert not _refused().exists()


def test_an_allowed_view_is_not_marked_refused(world, as_user):
    concern = learner_concern(world)
    as_user(world.users["dsl"]).get(reverse("incidents:detail", args=[concern.pk]))
    assert AccessLog.objects.get(object_id=concern.pk).outcome == AccessLog.Outcome.ALLOWED
