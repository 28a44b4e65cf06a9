"""Withdrawing a concern reported twice or in error: a reason is required, it is kept (never
deleted), it leaves the triage queues, its page says who withdrew it, when and why, and the
rules refuse in plain words what may not be withdrawn."""

import re

import pytest
from django.urls import reverse

from incidents.models import Concern, Entry
from incidents.services import concern_record
from roper.models import Notification
from tests.factories import head_allegation, learner_concern, staff_allegation

WITHDRAW = {"withdrawn_as": "duplicate", "reason": "I pressed Send twice."}


def _withdraw(client, concern, **data):
    return client.post(
        reverse("incidents:withdraw", args=[concern.pk]), {**WITHDRAW, **data}, follow=True
    )


def test_the_reporter_withdraws_a_duplicate_and_it_is_kept_with_the_reason(world, as_user):
    first, second = learner_concern(world), learner_concern(world)
    teacher = as_user(world.users["teacher"])
    page = teacher.get(reverse("incidents:detail", args=[second.pk])).content.decode()
    assert reverse("incidents:withdraw", args=[second.pk]) in page
    confirm = teacher.get(reverse("incidents:withdraw", args=[second.pk])).content.decode()
    assert f"Withdraw concern {second.pk}?" in confirm and "Withdraw this concern" in confirm

    response = _withdraw(teacher, second, duplicate_of=first.pk)

    assert response.redirect_chain[-1][0] == reverse("incidents:detail", args=[second.pk])
    page = response.content.decode()
    name = world.users["teacher"].get_full_name()
    assert f"Withdrawn: I pressed Send twice.</strong> by {name} on" in page
    assert f'href="{reverse("incidents:detail", args=[first.pk])}"' in page
    second.refresh_from_db()
    assert second.status == Concern.Status.WITHDRAWN
    assert (second.withdrawn_by, second.duplicate_of) == (world.users["teacher"], first)
    # In the history, for the reporter too; nothing deleted.
    assert second.entries.filter(kind=Entry.Kind.WITHDRAWAL).exists()
    assert "Withdrawn" in page and Concern.objects.filter(pk=second.pk).exists()
    assert second.history.filter(status=Concern.Status.WITHDRAWN).exists()
    # The DSL it was routed to is told (a link, no child's name).
    note = Notification.objects.get(recipient=world.users["dsl"], title="A concern was withdrawn")
    assert note.url == reverse("incidents:detail", args=[second.pk])


def test_a_withdrawn_concern_leaves_the_dashboards_counts_and_queues(world, as_user):
    kept, duplicate = learner_concern(world), learner_concern(world)
    dsl = as_user(world.users["dsl"])
    before = dsl.get(reverse("incidents:dashboard")).content.decode()
    assert f"#{duplicate.pk}<" in before
    _withdraw(as_user(world.users["dsl"]), duplicate, duplicate_of=kept.pk)
    after = dsl.get(reverse("incidents:dashboard")).content.decode()
    assert f"#{duplicate.pk}<" not in after and f"#{kept.pk}<" in after
    assert 'id="q-new">New <span class="badge text-bg-secondary">1<' in after


def test_a_reason_is_required(world, as_user):
    concern = learner_concern(world)
    response = _withdraw(as_user(world.users["teacher"]), concern, reason="  ")
    assert response.status_code == 400
    assert "Fill in “Reason”" in response.content.decode()
    concern.refresh_from_db()
    assert concern.status == Concern.Status.NEW


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("closed", "This concern is closed: a closed concern cannot be withdrawn."),
        ("withdrawn", "This concern was already withdrawn."),
    ],
)
def test_a_closed_or_withdrawn_concern_cannot_be_withdrawn(world, as_user, status, message):
    concern = learner_concern(world)
    Concern.objects.filter(pk=concern.pk).update(status=status)
    dsl = as_user(world.users["dsl"])
    for response in (
        dsl.get(reverse("incidents:withdraw", args=[concern.pk]), follow=True),
        _withdraw(dsl, concern),
    ):
        assert response.redirect_chain[-1][0] == reverse("incidents:detail", args=[concern.pk])
        assert message in response.content.decode()
    assert not concern.entries.filter(kind=Entry.Kind.WITHDRAWAL).exists()


def test_once_triaged_only_the_dsl_may_withdraw_it_not_the_reporter(world, as_user):
    concern = learner_concern(world)
    concern_record(
        concern=concern,
        by=world.users["dsl"],
        kind="triage",
        fields={"risk_level": "low", "owner": world.users["dsl"], "text": "Seen"},
    )
    teacher = as_user(world.users["teacher"])
    page = teacher.get(reverse("incidents:detail", args=[concern.pk])).content.decode()
    assert reverse("incidents:withdraw", args=[concern.pk]) not in page
    response = _withdraw(teacher, concern)
    assert "only they can withdraw it" in response.content.decode()
    concern.refresh_from_db()
    assert concern.status != Concern.Status.WITHDRAWN
    _withdraw(as_user(world.users["dsl"]), concern, withdrawn_as="error", reason="Wrong child")
    concern.refresh_from_db()
    assert concern.status == Concern.Status.WITHDRAWN


def test_a_concern_the_user_cannot_open_is_not_a_duplicate_target(world, as_user):
    """A number the user may not open reads exactly as one that does not exist."""
    mine = learner_concern(world)
    hidden = head_allegation(world, reporter=world.users["office"])  # the chair's only
    teacher = as_user(world.users["teacher"])
    said = []
    for number in (hidden.pk, 999_999, mine.pk):
        response = _withdraw(teacher, mine, duplicate_of=number)
        assert response.status_code == 400
        page = response.content.decode().replace(str(number), "N")
        said.append(re.findall(r"There is no concern #N[^<]*", page))
    assert said[0] and said[0] == said[1] == said[2]
    mine.refresh_from_db()
    assert mine.status == Concern.Status.NEW


def test_those_who_may_not_see_it_get_a_404_and_a_colleague_a_403(world, as_user):
    concern = staff_allegation(world)  # about leadership; routed to the head and the DSL
    url = reverse("incidents:withdraw", args=[concern.pk])
    assert as_user(world.users["leadership"]).post(url, WITHDRAW).status_code == 404
    assert as_user(world.users["deputy_dsl"]).get(url).status_code == 404
    concern.refresh_from_db()
    assert concern.status == Concern.Status.NEW


def test_the_reporter_never_reads_the_number_of_the_allegation_about_them_it_duplicates(
    world, as_user
):
    """The teacher's report (X) covers the events of an allegation about the teacher (Y); the
    head withdraws X as a duplicate of Y. The teacher's page of X says it is a duplicate, and
    never which concern: Y's number would tell them an allegation about them exists."""
    from incidents.services import concern_withdraw
    from tests.factories import report

    teacher = world.users["teacher"]
    x = learner_concern(world)
    y = report(
        world.school,
        world.users["office"],
        "staff_online_conduct",
        people=[(teacher, "alleged"), (world.learner, "child")],
    )
    concern_withdraw(
        concern=x,
        by=world.users["head"],
        full=True,
        withdrawn_as="duplicate",
        reason="Same events as the other concern.",
        duplicate_of=y,
    )

    page = as_user(teacher).get(reverse("incidents:detail", args=[x.pk])).content.decode()
    assert "A duplicate of another concern. Reason: Same events as the other concern." in page
    assert str(y.pk) not in page
    # The head, who may open Y, is linked to it.
    head_page = as_user(world.users["head"]).get(reverse("incidents:detail", args=[x.pk]))
    assert f'href="{reverse("incidents:detail", args=[y.pk])}"' in head_page.content.decode()


def test_the_migration_takes_the_number_out_of_the_withdrawal_entries_written_before(world):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "incidents.migrations.0014_withdrawal_entries_without_numbers"
    )
    x = learner_concern(world)
    written = Entry.objects.create(
        concern=x,
        kind=Entry.Kind.WITHDRAWAL,
        text="A duplicate of another concern (concern #123456). Reason: Seen twice (#7).",
    )
    other = Entry.objects.create(concern=x, kind=Entry.Kind.NOTE, text="(concern #123456).")

    migration.drop_numbers(apps, None)

    written.refresh_from_db()
    assert written.text == "A duplicate of another concern. Reason: Seen twice (#7)."
    assert written.history.get().text == written.text
    other.refresh_from_db()
    assert other.text == "(concern #123456)."
