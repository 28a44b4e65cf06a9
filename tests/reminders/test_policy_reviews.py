from datetime import date

import pytest

from policies.jobs import review_reminders, review_step
from policies.models import Policy
from roper.models import Reminder
from tests.factories import MembershipFactory, ratified_policy
from tests.reminders.helpers import at, told

REVIEW = date(2027, 2, 1)  # ratified_policy(ratified_on=1 Feb 2026) is reviewed then


@pytest.fixture
def policy(world):
    return ratified_policy(
        world.school,
        title="Mobile",
        slug="mobile",
        owner="Online Safety Lead",
        dsl=world.users["dsl"],
        governor=world.users["governor"],
    )


@pytest.mark.parametrize(
    ("days_left", "step"),
    [(45, None), (31, None), (30, "30"), (8, "30"), (7, "7"), (2, "7"), (1, "1"), (0, "1")],
)
def test_the_review_steps_are_30_7_and_the_day_before(days_left, step):
    assert review_step(days_left) == step
    assert review_step(-1) == "overdue"


def test_the_owner_and_the_dsl_are_told_30_days_7_days_and_the_day_before(world, policy):
    for day in [date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 25)]:
        review_reminders(at(day))
    review_reminders(at(date(2027, 1, 31)))
    review_reminders(at(date(2027, 1, 31), 16))  # the same day again: nothing new
    due = "Policy review due 1 February 2027: Mobile"
    assert told(world) == {"osl": [due] * 3, "dsl": [due] * 3}


def test_nothing_is_sent_before_the_30_day_step(world, policy):
    assert review_reminders(at(date(2026, 12, 31))) == 0
    assert Reminder.objects.count() == 0


def test_once_overdue_the_head_and_named_governor_are_told_every_week(world, policy):
    overdue = "Policy review overdue since 1 February 2027: Mobile"
    review_reminders(at(date(2027, 2, 2)))  # the day after
    review_reminders(at(date(2027, 2, 8)))  # six days later: still the first week
    assert told(world, title=overdue) == {"head": [overdue], "governor": [overdue]}
    review_reminders(at(date(2027, 2, 9)))  # a week on
    review_reminders(at(date(2027, 2, 9), 18))
    assert told(world, title=overdue) == {"head": [overdue] * 2, "governor": [overdue] * 2}


def test_a_policy_without_a_named_governor_goes_to_the_chair(world, policy):
    Policy.objects.filter(pk=policy.pk).update(governor=None)
    review_reminders(at(date(2027, 2, 2)))
    assert set(told(world)) == {"head", "chair"}


def test_a_newly_ratified_policy_is_not_reminded_of_its_old_date(world, policy):
    review_reminders(at(date(2027, 1, 31)))
    Policy.objects.filter(pk=policy.pk).update(next_review_on=date(2028, 1, 31))
    assert review_reminders(at(date(2027, 2, 2))) == 0


def test_linked_and_listed_policies_are_reminded_to_their_owner(world, policy):
    listed = Policy.objects.create(
        school=world.school,
        title="Anti-bullying policy",
        slug="anti-bullying",
        listed_only=True,
        owner="Headteacher",
        status=Policy.Status.RATIFIED,
        ratified_on=date(2026, 3, 1),
        next_review_on=date(2027, 3, 1),
        requires_acknowledgement=False,
    )
    policy.linked.add(listed)
    review_reminders(at(date(2027, 2, 28)))
    due = "Policy review due 1 March 2027: Anti-bullying policy"
    assert told(world, title=due) == {"head": [due], "dsl": [due]}  # the linking policy's DSL
    review_reminders(at(date(2027, 3, 2)))
    late = "Policy review overdue since 1 March 2027: Anti-bullying policy"
    assert told(world, title=late) == {"head": [late], "governor": [late]}


def test_an_owner_named_by_name_is_found_among_the_staff(world):
    named = MembershipFactory(
        school=world.school, roles=["staff"], user__first_name="Ada", user__last_name="Lovelace"
    ).user
    ratified_policy(world.school, title="IT", slug="it", owner="Ada Lovelace")
    review_reminders(at(date(2027, 1, 31)))
    assert {n.recipient for n in named.notifications.all()} == {named}
    assert set(told(world)) == {"dsl", named.username}


def test_draft_and_archived_policies_are_not_reminded(world, policy):
    Policy.objects.filter(pk=policy.pk).update(status=Policy.Status.ARCHIVED)
    assert review_reminders(at(date(2027, 1, 31))) == 0


def test_a_listed_policy_owned_by_a_role_goes_to_the_person_the_linking_policy_names(world, policy):
    Policy.objects.filter(pk=policy.pk).update(osl=world.users["leadership"])
    listed = Policy.objects.create(
        school=world.school,
        title="Image use policy",
        slug="image-use",
        listed_only=True,
        owner="Online Safety Lead",
        status=Policy.Status.RATIFIED,
        ratified_on=date(2026, 3, 1),
        next_review_on=date(2027, 3, 1),
        requires_acknowledgement=False,
    )
    policy.linked.add(listed)
    review_reminders(at(date(2027, 2, 22)))
    due = "Policy review due 1 March 2027: Image use policy"
    assert told(world, title=due) == {"leadership": [due], "dsl": [due]}
