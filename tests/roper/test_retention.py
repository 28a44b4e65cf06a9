from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from devices.models import Absence, Handover
from incidents.models import Concern, Entry
from people.calendar import SchoolCalendar
from roper.models import LegalHold, Notification, RetentionBatch
from roper.reminders import run_reminders
from roper.retention import retention_destroy, retention_find
from tests.factories import learner_concern, staff_allegation

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def _close(concern, when):
    Concern.objects.filter(pk=concern.pk).update(
        status=Concern.Status.CLOSED, closed_at=when, outcome="Resolved"
    )


@pytest.fixture
def old_learner_concern(world):
    """A closed concern about a learner born 26 years ago."""
    world.learner.date_of_birth = date(2000, 1, 1)
    world.learner.save()
    concern = learner_concern(world)
    _close(concern, timezone.now())
    return concern


def test_a_child_protection_record_is_due_at_date_of_birth_plus_25_years(
    world, old_learner_concern
):
    assert retention_find(school=world.school, today=date(2024, 12, 31)) == []
    (batch,) = retention_find(school=world.school, today=date(2026, 11, 1))
    assert (batch.rule, batch.object_ids) == ("child-protection", [old_learner_concern.pk])


def test_an_open_concern_or_a_younger_learner_is_never_due(world):
    learner_concern(world)  # open, learner born 2015
    assert retention_find(school=world.school, today=date(2060, 1, 1)) == []


def test_a_staff_allegation_is_due_ten_years_after_closure(world):
    allegation = staff_allegation(world)
    _close(allegation, datetime(2015, 3, 1, tzinfo=LONDON))
    assert retention_find(school=world.school, today=date(2025, 2, 28)) == []
    (batch,) = retention_find(school=world.school, today=date(2025, 3, 1))
    assert batch.rule == "staff-allegations"


def test_a_withdrawn_concern_is_kept_as_long_as_a_closed_one_then_due(world):
    world.learner.date_of_birth = date(2000, 1, 1)
    world.learner.save()
    duplicate = learner_concern(world)
    allegation = staff_allegation(world)
    Concern.objects.filter(pk__in=[duplicate.pk, allegation.pk]).update(
        status=Concern.Status.WITHDRAWN, withdrawn_at=datetime(2015, 3, 1, tzinfo=LONDON)
    )
    assert retention_find(school=world.school, today=date(2024, 12, 31)) == []
    batches = retention_find(school=world.school, today=date(2026, 11, 1))
    assert {(b.rule, tuple(b.object_ids)) for b in batches} == {
        ("child-protection", (duplicate.pk,)),
        ("staff-allegations", (allegation.pk,)),
    }


def test_finding_twice_in_a_month_opens_one_batch(world, old_learner_concern):
    retention_find(school=world.school, today=date(2026, 11, 1))
    retention_find(school=world.school, today=date(2026, 11, 2))
    assert RetentionBatch.objects.count() == 1


def test_destroying_deletes_the_record_its_history_and_keeps_a_destruction_record(
    world, old_learner_concern
):
    (batch,) = retention_find(school=world.school, today=date(2026, 11, 1))
    pk = old_learner_concern.pk
    assert retention_destroy(batch=batch, by=world.users["dsl"]) == 1
    assert not Concern.objects.filter(pk=pk).exists()
    assert not Concern.history.filter(id=pk).exists()
    assert not Entry.objects.filter(concern_id=pk).exists()
    batch.refresh_from_db()
    assert batch.status == "destroyed" and batch.object_ids == [pk]
    assert batch.decided_by_name == world.users["dsl"].get_full_name()


def test_a_legal_hold_blocks_destruction(world, old_learner_concern, as_user):
    (batch,) = retention_find(school=world.school, today=date(2026, 11, 1))
    client = as_user(world.users["dsl"])
    client.post(
        reverse("retention_hold", args=[batch.pk]),
        {"object_id": old_learner_concern.pk, "reason": "Police investigation"},
    )
    assert LegalHold.objects.get().reason == "Police investigation"
    client.post(reverse("retention_decide", args=[batch.pk]), {"action": "destroy"})
    assert Concern.objects.filter(pk=old_learner_concern.pk).exists()
    # Next month the held record is not listed again.
    assert retention_find(school=world.school, today=date(2026, 12, 1)) == []


def test_the_dsl_keeps_a_batch_only_with_a_reason(world, old_learner_concern, as_user):
    (batch,) = retention_find(school=world.school, today=date(2026, 11, 1))
    client = as_user(world.users["dsl"])
    client.post(reverse("retention_decide", args=[batch.pk]), {"action": "keep", "note": ""})
    batch.refresh_from_db()
    assert batch.status == "pending"
    client.post(reverse("retention_decide", args=[batch.pk]), {"action": "keep", "note": "Inquiry"})
    batch.refresh_from_db()
    assert (batch.status, batch.note) == ("declined", "Inquiry")


def test_old_handovers_are_due_after_a_year(world):
    office = world.users["office"]
    for days_ago in (400, 30):
        Handover.objects.create(
            school=world.school,
            learner=world.learner,
            school_day=date(2026, 11, 1) - timedelta(days=days_ago),
            in_at=timezone.now(),
            received_by=office,
        )
    (batch,) = retention_find(school=world.school, today=date(2026, 11, 1))
    assert batch.rule == "handovers" and batch.count == 1
    retention_destroy(batch=batch, by=world.users["dsl"])
    assert list(Handover.objects.values_list("school_day", flat=True)) == [date(2026, 10, 2)]


def test_absences_marked_by_the_office_go_after_a_year_as_the_handovers(world):
    office = world.users["office"]
    for days_ago in (400, 30):
        Absence.objects.create(
            school=world.school,
            learner=world.learner,
            school_day=date(2026, 11, 1) - timedelta(days=days_ago),
            recorded_by=office,
        )
    (batch,) = retention_find(school=world.school, today=date(2026, 11, 1))
    assert batch.rule == "absences" and batch.count == 1
    retention_destroy(batch=batch, by=world.users["dsl"])
    assert list(Absence.objects.values_list("school_day", flat=True)) == [date(2026, 10, 2)]
    assert Absence.history.filter(school_day=date(2025, 9, 27)).count() == 0


def test_the_monthly_job_asks_the_dsl_once(world, old_learner_concern):
    with time_machine.travel(datetime(2026, 12, 1, 7, 0, tzinfo=LONDON)):
        run_reminders(only=["retention"])
        run_reminders(only=["retention"])
    notes = Notification.objects.filter(title__startswith="Records are due")
    assert {n.recipient for n in notes} == {world.users["dsl"], world.users["deputy_dsl"]}


def test_only_the_dsl_sees_the_retention_page(world, as_user, old_learner_concern):
    retention_find(school=world.school, today=date(2026, 11, 1))
    page = as_user(world.users["dsl"]).get(reverse("retention"))
    assert f"Concern #{old_learner_concern.pk}" in page.text
    assert world.learner.legal_last_name not in page.text
    assert as_user(world.users["head"]).get(reverse("retention")).status_code == 403


def test_a_malicious_allegation_is_due_for_removal_as_soon_as_it_is_closed(world):
    allegation = staff_allegation(world)
    _close(allegation, timezone.now())
    Concern.objects.filter(pk=allegation.pk).update(finding="malicious")
    (batch,) = retention_find(school=world.school, today=SchoolCalendar.today())
    assert (batch.rule, batch.object_ids) == ("malicious-allegations", [allegation.pk])
