"""roper/rows.py, as the desk's check-in uses it: a row inserted with its plain INSERT is the
row `save()` would have written, with the same history row, and no post_save receiver is left
out unaccounted."""

from datetime import date
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db.models.signals import post_save
from django.utils import timezone
from simple_history.models import HistoricalRecords

from devices import services
from devices.models import DeskEntry, Handover
from roper import rows
from tests.factories import LearnerFactory, UserFactory

#: What differs between two rows of the same content: their keys (and a history row's own).
KEYS = {"id", "history_id", "handover_id"}


def _row(model, pk, key="pk"):
    values = model.objects.filter(**{key: pk}).values().get()
    return {name: value for name, value in values.items() if name not in KEYS}


def _handover(learner, by, when, tag):
    return Handover(
        school_id=learner.school_id,
        learner=learner,
        school_day=date(2026, 12, 4),
        tag=tag,
        in_at=when,
        received_by=by,
    )


@pytest.mark.django_db
def test_a_check_in_written_by_insert_is_the_one_save_writes():
    learner = LearnerFactory()
    other = LearnerFactory(school=learner.school)
    office = UserFactory()
    when = timezone.now()

    # save(): simple_history names the user and the date it is given on the instance.
    saved = _handover(other, office, when, "12")
    saved._history_user, saved._history_date = office, when
    saved.save()
    saved_entry = DeskEntry.objects.create(
        school_id=other.school_id, handover=saved, kind="in", at=when, by=office
    )
    # The handover, its history row and the desk's entry referring to it: one statement on
    # PostgreSQL, three elsewhere.
    inserted_entry = DeskEntry(school_id=learner.school_id, kind="in", at=when, by=office)
    inserted = rows.insert(
        _handover(learner, office, when, "12"),
        history_user=office,
        history_date=when,
        child=inserted_entry,
    )

    assert inserted.pk and not inserted._state.adding and not inserted_entry._state.adding
    assert inserted_entry.pk and inserted_entry.handover_id == inserted.pk
    assert inserted_entry.handover is inserted
    assert DeskEntry.objects.get(pk=inserted_entry.pk).handover_id == inserted.pk
    as_saved = _row(Handover, saved.pk) | {"learner_id": learner.pk}
    assert _row(Handover, inserted.pk) == as_saved
    history = Handover.history.model
    assert history.objects.filter(id=inserted.pk).count() == 1
    assert _row(history, inserted.pk, "id") == _row(history, saved.pk, "id") | {
        "learner_id": learner.pk
    }
    assert _row(history, inserted.pk, "id")["history_type"] == "+"
    assert _row(history, inserted.pk, "id")["history_user_id"] == office.pk
    assert _row(DeskEntry, inserted_entry.pk) == _row(DeskEntry, saved_entry.pk)
    # The instance the caller holds reads as the row does.
    assert Handover.objects.get(pk=inserted.pk).tag == inserted.tag == "12"


@pytest.mark.django_db
def test_pre_save_receivers_run_first():
    """roper.text's pre_save cleans short text of bidirectional controls, here as in save()."""
    learner, office = LearnerFactory(), UserFactory()
    handover = rows.insert(
        _handover(learner, office, timezone.now(), "7\u202e1"), history_user=office
    )
    assert handover.tag == "71"
    assert Handover.objects.get(pk=handover.pk).tag == "71"
    assert Handover.history.model.objects.get(id=handover.pk).tag == "71"


def _name(receiver) -> str:
    return getattr(receiver, "__qualname__", repr(receiver))


@pytest.mark.parametrize("label", sorted(services.POST_SAVE_ACCOUNTED))
def test_every_post_save_receiver_of_the_models_written_is_accounted_for(label):
    """insert() sends no post_save: a receiver added to one of these models must be looked at
    (run by the desk's check-in, or listed in services.POST_SAVE_ACCOUNTED with why not)."""
    model = apps.get_model(label)
    sync, asynchronous = post_save._live_receivers(model)
    assert {_name(r) for r in [*sync, *asynchronous]} == services.POST_SAVE_ACCOUNTED[label]


@pytest.mark.django_db
def test_a_row_without_history_or_child_is_inserted_alone():
    learner, office = LearnerFactory(), UserFactory()
    handover = _handover(learner, office, timezone.now(), "")
    handover.save()
    entry = rows.insert(
        DeskEntry(school_id=learner.school_id, handover=handover, kind="in", by=office)
    )
    assert DeskEntry.objects.get(pk=entry.pk).handover_id == handover.pk
    assert entry.at is not None  # the field's default, as save() gives it


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_check_out_in_one_statement_writes_what_the_orm_writes():
    """devices/services.py CHECK_OUT_SQL: the handover, its history row ("~") and the desk's
    entry as the ORM's locked path writes them, in one statement; the handover returned (its
    entry, the day's counts) is the row written."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from people.calendar import SchoolCalendar

    learner = LearnerFactory()
    other = LearnerFactory(school=learner.school)
    office, desk_user = UserFactory(), UserFactory()
    for one in (learner, other):
        services.handover_check_in(learner=one, by=office, tag=f"T{one.pk}")
    when = timezone.now()

    # The ORM's path in a request: simple_history names the request's user
    # (HistoryRequestMiddleware), the date it saves.
    HistoricalRecords.context.request = SimpleNamespace(user=desk_user)
    try:
        by_orm = services._check_out_locked(
            learner=other, by=desk_user, guardian=None, reason="Late bus", now=when
        )
    finally:
        del HistoricalRecords.context.request
    with CaptureQueriesContext(connection) as queries:
        at_once = services._check_out_at_once(
            connection,
            learner=learner,
            by=desk_user,
            guardian=None,
            reason="Late bus",
            now=when,
            day=SchoolCalendar.day_of(when),
        )
    statements = [q["sql"] for q in queries if not q["sql"].startswith("PREPARE")]
    assert len(statements) == 1 and statements[0].startswith("EXECUTE devices_check_out(")

    # What differs between the two learners' rows: who, their pouch, when they came in (and
    # the history's date: the ORM's is when it saved, a moment after the phone went out).
    apart = {"learner_id": None, "tag": None, "in_at": None, "history_date": None}

    def written(handover):
        row = _row(Handover, handover.pk) | apart
        history = Handover.history.model.objects.filter(id=handover.pk).order_by("history_id")
        last = history.values().last()
        last = {k: v for k, v in last.items() if k not in KEYS} | apart
        return row, last, _row(DeskEntry, handover.entry.pk)

    assert written(at_once) == written(by_orm)
    row, history, entry = written(at_once)
    assert row["out_at"] == when and row["handed_back_by_id"] == desk_user.pk
    assert row["collected_by_learner"] is True
    assert history["history_type"] == "~" and history["history_user_id"] == desk_user.pk
    assert Handover.history.filter(id=at_once.pk).latest().history_date == when
    assert entry["kind"] == "out" and entry["reason"] == "Late bus"
    # What the desk shows of it is the row: no query, no deferred field read back.
    assert at_once.out_at == when and at_once.tag == f"T{learner.pk}"
    assert at_once.entry.handover is at_once and at_once.learner is learner
    assert at_once.counts == {"handed_in": 2, "collected": 2, "still_held": 0}
    assert Handover.history.model.objects.filter(id=at_once.pk).count() == 2
