"""Learners' exemptions: whoever decides them is reminded two weeks (ten school days) before
the review date, once per exemption, and again once the exemption has lapsed (issue 16)."""

from datetime import UTC, date, datetime

from devices.models import LearnerExemption
from roper.models import Notification
from roper.reminders import run_reminders
from tests.factories import LearnerFactory, TermFactory, exemption

JOB = ["exemption-reviews"]


def _run(moment):
    return run_reminders(now=moment, only=JOB)[JOB[0]]["sent"]


def _titles(user):
    """The user's notifications, newest first."""
    notes = Notification.objects.filter(recipient=user).order_by("-pk")
    return list(notes.values_list("title", flat=True))


def test_the_head_is_told_two_weeks_before_the_review_date_and_once_it_has_lapsed(
    world, head, office, dsl, teacher
):
    # The school has no terms on file: every working day is a school day.
    exemption(world.learner, by=office, decided_by=dsl, review_on=date(2026, 12, 9))
    assert _run(datetime(2026, 11, 24, 9, tzinfo=UTC)) == 0  # 11 school days before
    assert _run(datetime(2026, 11, 25, 9, tzinfo=UTC)) == 1  # 10 school days before
    assert _titles(head) == ["1 learner exemption is due for review within two weeks"]
    note = Notification.objects.get(recipient=head)
    assert note.url == "/devices/exceptions/#reg-exemptions"
    assert _run(datetime(2026, 11, 26, 9, tzinfo=UTC)) == 0  # once per exemption
    assert _run(datetime(2026, 12, 9, 17, tzinfo=UTC)) == 0  # the review day: still in force
    assert _run(datetime(2026, 12, 10, 9, tzinfo=UTC)) == 1  # lapsed
    assert _titles(head)[0].startswith("1 learner exemption has lapsed")
    assert _run(datetime(2026, 12, 11, 9, tzinfo=UTC)) == 0
    # Only those who decide exemptions are told, and the message never names the child.
    for user in (office, dsl, teacher):
        assert _titles(user) == []
    assert not any("Amelia" in t or "Khan" in t for t in _titles(head))


def test_exemptions_due_together_are_counted_in_one_message_and_a_new_one_is_told_later(
    world, head, office
):
    for name in ("Bea", "Cal"):
        learner = LearnerFactory(school=world.school, legal_first_name=name)
        exemption(learner, by=office, decided_by=head, review_on=date(2026, 12, 9))
    assert _run(datetime(2026, 11, 30, 9, tzinfo=UTC)) == 1
    assert _titles(head) == ["2 learner exemptions are due for review within two weeks"]
    exemption(world.learner, by=office, decided_by=head, review_on=date(2026, 12, 9))
    assert _run(datetime(2026, 12, 1, 9, tzinfo=UTC)) == 1
    assert _titles(head)[0] == "1 learner exemption is due for review within two weeks"


def test_a_renewed_or_undecided_exemption_brings_no_reminder(world, head, office):
    exemption(world.learner, by=office, decided_by=head, review_on=date(2026, 12, 9))
    exemption(world.learner, by=office, decided_by=head, review_on=date(2027, 7, 21))  # renewed
    other = LearnerFactory(school=world.school)
    pending = exemption(other, by=office, decided_by=None, review_on=date(2026, 12, 9))
    LearnerExemption.objects.filter(pk=pending.pk).update(status="pending")
    assert _run(datetime(2026, 11, 30, 9, tzinfo=UTC)) == 0
    assert _run(datetime(2026, 12, 10, 9, tzinfo=UTC)) == 0
    assert _titles(head) == []


def test_the_reminder_counts_only_the_deciders_own_school(world, head, office):
    exemption(world.other_learner, by=office, decided_by=head, review_on=date(2026, 12, 9))
    _run(datetime(2026, 11, 30, 9, tzinfo=UTC))
    assert _titles(head) == []
    outsider = world.users["outsider"]  # the other school's headteacher
    assert _titles(outsider) == ["1 learner exemption is due for review within two weeks"]


def test_an_exemption_that_lapsed_on_the_last_day_of_term_is_told_of_after_the_holiday(
    world, head, office
):
    TermFactory(
        school=world.school, season="summer", starts_on=date(2026, 4, 13), ends_on=date(2026, 7, 21)
    )
    TermFactory(school=world.school, starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18))
    exemption(world.learner, by=office, decided_by=head, review_on=date(2026, 7, 21))
    assert _run(datetime(2026, 7, 8, 9, tzinfo=UTC)) == 1  # due within two weeks, on time
    # The scheduler was down from the last day of the summer term until the school came back.
    assert _run(datetime(2026, 9, 2, 9, tzinfo=UTC)) == 1
    assert _titles(head)[0].startswith("1 learner exemption has lapsed")
    assert _run(datetime(2026, 9, 2, 9, 5, tzinfo=UTC)) == 0


def test_an_exemption_that_lapsed_more_than_four_school_weeks_ago_is_not_told_of(
    world, head, office
):
    # No terms on file: every working day is a school day.
    exemption(world.learner, by=office, decided_by=head, review_on=date(2026, 10, 30))
    assert _run(datetime(2026, 11, 30, 9, tzinfo=UTC)) == 0  # lapsed 31 Oct: > 4 school weeks
    exemption(
        LearnerFactory(school=world.school), by=office, decided_by=head, review_on=date(2026, 11, 2)
    )
    assert _run(datetime(2026, 11, 30, 9, tzinfo=UTC)) == 1  # lapsed 3 Nov: < 4 school weeks
