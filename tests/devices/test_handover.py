from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError

from devices import services
from devices.models import DeskEntry, Handover
from people.calendar import SchoolCalendar
from roper.errors import Refused
from tests.factories import GuardianshipFactory, LearnerFactory, collector, exemption

MORNING = datetime(2026, 11, 24, 8, 45, tzinfo=UTC)


@pytest.fixture
def learner(world):
    return world.learner


@time_machine.travel(MORNING, tick=False)
def test_a_check_in_records_who_received_the_phone_and_when(learner, office):
    handover = services.handover_check_in(learner=learner, by=office)
    assert handover.received_by == office
    assert handover.in_at == MORNING
    assert handover.is_held
    assert DeskEntry.objects.get(handover=handover).kind == "in"


@time_machine.travel(MORNING, tick=False)
def test_it_rejects_a_second_check_in_the_same_day(learner, office):
    services.handover_check_in(learner=learner, by=office)
    with pytest.raises(Refused, match="already checked in at 08:45"):
        services.handover_check_in(learner=learner, by=office)
    assert Handover.objects.count() == 1
    assert DeskEntry.objects.count() == 1


def test_the_database_refuses_two_open_handovers_for_one_day(learner, office):
    services.handover_check_in(learner=learner, by=office)
    with pytest.raises(IntegrityError):
        Handover.objects.create(
            school=learner.school,
            learner=learner,
            school_day=SchoolCalendar.today(),
            in_at=MORNING,
            received_by=office,
        )


def test_the_school_day_is_london_time_not_utc(learner, office):
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    with time_machine.travel(datetime(2026, 6, 30, 23, 30, tzinfo=UTC), tick=False):
        handover = services.handover_check_in(learner=learner, by=office)
    assert handover.school_day.isoformat() == "2026-07-01"


def test_a_phone_handed_in_yesterday_does_not_block_today(learner, office):
    with time_machine.travel(MORNING - timedelta(days=1), tick=False):
        services.handover_check_in(learner=learner, by=office)
    with time_machine.travel(MORNING, tick=False):
        services.handover_check_in(learner=learner, by=office)
    assert Handover.objects.filter(learner=learner).count() == 2


@time_machine.travel(MORNING, tick=False)
def test_a_phone_checked_out_to_the_learner(learner, office):
    services.handover_check_in(learner=learner, by=office)
    handover = services.handover_check_out(learner=learner, by=office)
    assert handover.collected_by_learner and handover.collected_by is None
    assert handover.handed_back_by == office
    assert not handover.is_held


@time_machine.travel(MORNING, tick=False)
def test_a_phone_checked_out_to_a_guardian_who_may_collect(learner, office):
    mum = collector(learner)
    services.handover_check_in(learner=learner, by=office)
    handover = services.handover_check_out(learner=learner, by=office, guardian=mum)
    assert handover.collected_by == mum
    assert not handover.collected_by_learner


@time_machine.travel(MORNING, tick=False)
def test_it_refuses_a_guardian_who_may_not_collect(learner, office):
    gran = collector(learner, may_collect=False)
    services.handover_check_in(learner=learner, by=office)
    with pytest.raises(Refused, match="not on file as allowed to collect"):
        services.handover_check_out(learner=learner, by=office, guardian=gran)
    assert Handover.objects.get().is_held


@time_machine.travel(MORNING, tick=False)
def test_it_refuses_another_learners_guardian(learner, office):
    other_parent = GuardianshipFactory(learner=LearnerFactory(school=learner.school)).guardian
    services.handover_check_in(learner=learner, by=office)
    with pytest.raises(Refused):
        services.handover_check_out(learner=learner, by=office, guardian=other_parent)


def test_it_refuses_to_check_out_what_was_never_checked_in(learner, office):
    with pytest.raises(Refused, match="was not checked in today"):
        services.handover_check_out(learner=learner, by=office)
    assert DeskEntry.objects.count() == 0


@time_machine.travel(MORNING, tick=False)
def test_it_refuses_a_second_check_out(learner, office):
    services.handover_check_in(learner=learner, by=office)
    services.handover_check_out(learner=learner, by=office)
    with pytest.raises(Refused, match="already checked out at 08:45"):
        services.handover_check_out(learner=learner, by=office)
    assert DeskEntry.objects.filter(kind="out").count() == 1


def test_an_undone_check_in_is_kept_and_the_learner_can_check_in_again(learner, office):
    handover = services.handover_check_in(learner=learner, by=office)
    undo = services.handover_undo(entry=DeskEntry.objects.get(), by=office)
    handover.refresh_from_db()
    assert undo.kind == "undo_in"
    assert handover.undone_at is not None and handover.undone_by == office
    assert DeskEntry.objects.get(kind="in").undone
    services.handover_check_in(learner=learner, by=office)
    assert Handover.objects.filter(learner=learner).count() == 2


def test_an_undone_check_out_puts_the_phone_back_in(learner, office):
    services.handover_check_in(learner=learner, by=office)
    services.handover_check_out(learner=learner, by=office)
    services.handover_undo(entry=DeskEntry.objects.get(kind="out"), by=office)
    assert Handover.objects.get().is_held
    assert [e.kind for e in DeskEntry.objects.order_by("pk")] == ["in", "out", "undo_out"]


def test_an_entry_cannot_be_undone_after_five_minutes(learner, office):
    with time_machine.travel(MORNING, tick=False):
        services.handover_check_in(learner=learner, by=office)
    with (
        time_machine.travel(MORNING + timedelta(minutes=6), tick=False),
        pytest.raises(Refused, match="Too late"),
    ):
        services.handover_undo(entry=DeskEntry.objects.get(), by=office)
    assert Handover.objects.get().undone_at is None


def test_an_entry_cannot_be_undone_twice(learner, office):
    services.handover_check_in(learner=learner, by=office)
    entry = DeskEntry.objects.get()
    services.handover_undo(entry=entry, by=office)
    with pytest.raises(Refused):
        services.handover_undo(entry=entry, by=office)


def test_a_class_is_checked_in_at_once_skipping_exempt_and_those_already_in(world, office, head):
    school = world.school
    oak = [LearnerFactory(school=school, class_name="Oak") for _ in range(4)]
    LearnerFactory(school=school, class_name="Elm")
    services.handover_check_in(learner=oak[0], by=office)
    exemption(oak[1], by=office, decided_by=head)
    done, skipped = services.class_check_in(school=school, class_name="Oak", by=office)
    # world.learner is in Oak too.
    assert (done, skipped) == (3, 2)
    assert not Handover.objects.filter(learner=oak[1]).exists()
    assert not Handover.objects.filter(learner__class_name="Elm").exists()
    done, skipped = services.class_check_out(school=school, class_name="Oak", by=office)
    assert (done, skipped) == (4, 0)
    assert not Handover.objects.filter(out_at__isnull=True).exists()


def test_a_reconciled_day_needs_a_reason_for_a_change(learner, office):
    services.handover_check_in(learner=learner, by=office)
    services.day_reconcile(school=learner.school, day=SchoolCalendar.today(), by=office)
    with pytest.raises(Refused, match="give a reason"):
        services.handover_check_out(learner=learner, by=office)
    services.handover_check_out(learner=learner, by=office, reason="Mum came late")
    assert DeskEntry.objects.get(kind="out").reason == "Mum came late"


def test_an_exemption_past_its_review_date_no_longer_exempts(world, office, head):
    learner = world.learner
    exemption(learner, by=office, decided_by=head, review_on=SchoolCalendar.today() - timedelta(1))
    done, skipped = services.class_check_in(school=world.school, class_name="Oak", by=office)
    assert (done, skipped) == (1, 0)
