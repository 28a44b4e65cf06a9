"""The annual filtering and monitoring review (DfE standards): recorded by the DSL with a
senior leader and the IT provider, listed for governors, reminded before it is due and once
when overdue."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from incidents.models import FilteringReview
from roper.models import Notification
from roper.reminders import run_reminders
from tests.reminders.helpers import at

pytestmark = pytest.mark.django_db


def _form(world, **over):
    data = {
        "reviewed_on": "2026-09-10",
        "dsl": world.users["dsl"].pk,
        "senior_leader": world.users["head"].pk,
        "it_provider": "Jo Byte, EduTech Ltd",
        "others": "",
        "filtering_provider": "NetSweeper, school plan",
        "blocked": "IWF and CTIRU lists, pornography, self-harm, gambling; guests too",
        "monitoring": "network",
        "monitoring_notes": "Weekly report to the DSL; urgent alerts by phone",
        "tested": "on",
        "test_notes": "SWGfL test on laptops and tablets, staff and guest Wi-Fi: all blocked",
        "actions": "None",
        "next_review_on": "2027-09-10",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def test_the_dsl_records_a_review_and_a_governor_reads_it(world, as_user):
    with time_machine.travel(at(date(2026, 9, 10), 10)):
        dsl = as_user(world.users["dsl"])
        form = dsl.get(reverse("incidents:filtering_create")).text
        assert 'value="2026-09-10"' in form and 'value="2027-09-10"' in form  # a year on
        response = dsl.post(reverse("incidents:filtering_create"), _form(world))
    review = FilteringReview.objects.get()
    assert response.status_code == 302 and response["Location"] == review.get_absolute_url()
    assert review.recorded_by == world.users["dsl"] and review.school == world.school
    with time_machine.travel(at(date(2026, 10, 1), 10)):
        page = as_user(world.users["governor"]).get(reverse("incidents:filtering")).text
    assert "NetSweeper" in page and "Next review: 10 September 2027" in page
    assert "Record a review" not in page  # governors read only


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"next_review_on": "2027-10-01"}, "next_review_on", "at least every year"),
        ({"next_review_on": "2026-09-01"}, "next_review_on", "must be after this one"),
        ({"tested": None, "actions": ""}, "actions", "It was not tested"),
        ({"senior_leader": ""}, "senior_leader", "Choose an answer"),
    ],
)
def test_a_review_the_standards_would_not_accept_is_refused_and_nothing_saved(
    world, as_user, over, field, message
):
    response = as_user(world.users["dsl"]).post(
        reverse("incidents:filtering_create"), _form(world, **over)
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not FilteringReview.objects.exists()


def test_someone_without_the_role_cannot_be_named_as_the_dsl(world, as_user):
    response = as_user(world.users["dsl"]).post(
        reverse("incidents:filtering_create"), _form(world, dsl=world.users["teacher"].pk)
    )
    assert "dsl" in response.context["form"].errors


def test_the_list_shows_an_overdue_review_in_few_queries(
    world, as_user, django_assert_max_num_queries
):
    for year in (2024, 2025):
        FilteringReview.objects.create(
            school=world.school, reviewed_on=date(year, 9, 1), dsl=world.users["dsl"],
            senior_leader=world.users["head"], it_provider="EduTech", filtering_provider="X",
            blocked="IWF", monitoring="network", tested=True, next_review_on=date(year + 1, 9, 1),
        )  # fmt: skip
    client = as_user(world.users["head"])
    with time_machine.travel(at(date(2026, 9, 2), 10)):
        client.get(reverse("incidents:filtering"))  # warm the session and caches
        with django_assert_max_num_queries(14):
            page = client.get(reverse("incidents:filtering")).text
    assert "was due on 1 September 2026: it is overdue" in page


def test_reminders_before_the_review_is_due_and_once_when_overdue(world):
    FilteringReview.objects.create(
        school=world.school, reviewed_on=date(2026, 1, 12), it_provider="EduTech",
        filtering_provider="X", blocked="IWF", monitoring="network", tested=True,
        next_review_on=date(2027, 1, 12),
    )  # fmt: skip

    def told(moment):
        run_reminders(now=moment, only=["filtering-review"])
        return sorted(
            (n.title.split(" (")[0].split(" by ")[0], n.recipient.username)
            for n in Notification.objects.filter(title__startswith="The filtering")
        )

    assert told(at(date(2026, 12, 1), 9)) == []  # 42 days before: nothing yet
    due = told(at(date(2026, 12, 14), 9))  # 29 days before
    assert due == [
        ("The filtering and monitoring review is due", "dsl"),
        ("The filtering and monitoring review is due", "head"),
    ]
    assert told(at(date(2026, 12, 20), 9)) == due  # once
    overdue = told(at(date(2027, 1, 13), 9))
    assert [who for title, who in overdue if title.endswith("overdue")] == ["chair", "dsl", "head"]
    assert told(at(date(2027, 2, 13), 9)) == overdue  # once
    # A new review sets a new date, and nothing is due for a while.
    FilteringReview.objects.create(
        school=world.school, reviewed_on=date(2027, 2, 14), it_provider="EduTech",
        filtering_provider="X", blocked="IWF", monitoring="network", tested=True,
        next_review_on=date(2028, 2, 14),
    )  # fmt: skip
    assert told(at(date(2027, 3, 1), 9)) == overdue
