from datetime import timedelta

import pytest

from incidents.jobs import escalate_overdue_concerns
from incidents.models import Entry
from incidents.routing import escalation_chain
from roper.models import Reminder
from tests.factories import report
from tests.reminders.helpers import told

LATE = "A concern is past its triage deadline"


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


def timeline(concern) -> list[str]:
    return list(concern.entries.filter(kind=Entry.Kind.ESCALATED).values_list("text", flat=True))


def test_an_untriaged_concern_goes_from_the_dsl_to_the_deputy_then_the_head(world):
    concern = report(world.school, world.users["teacher"], "abusive_messages")
    span = concern.deadline - concern.reported_at
    assert escalation_chain(concern) == ["deputy_dsl", "headteacher"]
    assert escalate_overdue_concerns(concern.deadline - timedelta(minutes=1)) == 0
    escalate_overdue_concerns(concern.deadline + timedelta(minutes=1))
    escalate_overdue_concerns(concern.deadline + timedelta(minutes=6))  # next beat: no more
    assert told(world, title=LATE) == {"deputy_dsl": [LATE]}
    escalate_overdue_concerns(concern.deadline + span + timedelta(minutes=1))
    escalate_overdue_concerns(concern.deadline + span + timedelta(minutes=6))
    assert told(world, title=LATE) == {"deputy_dsl": [LATE], "head": [LATE]}
    deputy, head = world.users["deputy_dsl"], world.users["head"]
    assert timeline(concern) == [
        f"Not triaged by its deadline: escalated to the deputy DSL ({deputy.get_full_name()}).",
        f"Not triaged by its deadline: escalated to the headteacher ({head.get_full_name()}).",
    ]
    assert Reminder.objects.filter(key__startswith=f"concern-escalation:{concern.pk}:").count() == 2


def test_a_staff_case_goes_from_the_headteacher_to_the_chair_only(world):
    concern = report(
        world.school,
        world.users["office"],
        "staff_breach",
        people=[(world.users["leadership"], "alleged")],
    )
    span = concern.deadline - concern.reported_at
    assert escalation_chain(concern) == ["chair_of_governors"]
    for k in range(4):
        escalate_overdue_concerns(concern.deadline + span * k + timedelta(minutes=1))
    assert told(world, title=LATE) == {"chair": [LATE]}
    assert len(timeline(concern)) == 1


def test_a_triaged_concern_is_not_escalated(world):
    from incidents.services import concern_record

    concern = report(world.school, world.users["teacher"], "abusive_messages")
    concern_record(
        concern=concern,
        by=world.users["dsl"],
        kind=Entry.Kind.TRIAGE,
        fields={"risk_level": "low", "text": "Spoke to both.", "owner": world.users["dsl"]},
    )
    concern.refresh_from_db()
    assert escalate_overdue_concerns(concern.deadline + timedelta(days=30)) == 0
    assert timeline(concern) == []


def test_an_allegation_about_the_head_has_no_one_to_escalate_to(world):
    concern = report(world.school, world.users["teacher"], "about_head")
    assert escalation_chain(concern) == []
    assert escalate_overdue_concerns(concern.deadline + timedelta(days=10)) == 0


def test_the_escalation_shows_on_the_concerns_timeline_but_not_to_the_reporter(world, as_user):
    from django.urls import reverse

    concern = report(world.school, world.users["teacher"], "abusive_messages")
    escalate_overdue_concerns(concern.deadline + timedelta(minutes=1))
    url = reverse("incidents:detail", args=[concern.pk])
    page = as_user(world.users["deputy_dsl"]).get(url).content.decode()
    assert "Escalated (not triaged in time)" in page
    assert "escalated to the deputy DSL" in page
    assert "Roper (automatic)" in page
    author = concern.entries.get(kind=Entry.Kind.ESCALATED).author
    assert not author.is_active and not author.has_usable_password()
    assert not author.memberships.exists()
    page = as_user(world.users["teacher"]).get(url).content.decode()
    assert "Escalated" not in page


def test_after_an_outage_across_both_steps_the_deputy_and_the_head_are_told_on_the_next_run(
    world,
):
    concern = report(world.school, world.users["teacher"], "abusive_messages")
    span = concern.deadline - concern.reported_at
    # The scheduler was down from before the deadline until both steps were due.
    assert escalate_overdue_concerns(concern.deadline + span * 2 + timedelta(minutes=1)) == 2
    assert told(world, title=LATE) == {"deputy_dsl": [LATE], "head": [LATE]}
    assert len(timeline(concern)) == 2
    assert escalate_overdue_concerns(concern.deadline + span * 2 + timedelta(minutes=6)) == 0
    assert Reminder.objects.filter(key__startswith=f"concern-escalation:{concern.pk}:").count() == 2
