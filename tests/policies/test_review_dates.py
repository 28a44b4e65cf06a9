from datetime import date

import pytest
from django.core.exceptions import ValidationError

from policies.models import Policy, add_months
from roper.errors import Refused


def test_the_next_review_defaults_to_one_year_after_ratification():
    policy = Policy(ratified_on=date(2026, 2, 10))
    policy.set_next_review()
    assert policy.next_review_on == date(2027, 2, 10)


def test_a_shorter_review_cycle_gives_an_earlier_default():
    policy = Policy(ratified_on=date(2026, 2, 10), review_months=6)
    policy.set_next_review()
    assert policy.next_review_on == date(2026, 8, 10)


def test_an_earlier_next_review_date_may_be_set():
    policy = Policy(ratified_on=date(2020, 2, 1))
    policy.set_next_review(date(2021, 1, 1))
    assert policy.next_review_on == date(2021, 1, 1)


def test_a_next_review_more_than_a_year_after_ratification_is_refused():
    policy = Policy(ratified_on=date(2026, 2, 10))
    with pytest.raises(Refused, match="at least annually"):
        policy.set_next_review(date(2027, 2, 11))


@pytest.mark.django_db
def test_the_form_validation_also_refuses_a_review_later_than_a_year(world):
    policy = Policy(
        school=world.school,
        title="T",
        slug="t",
        ratified_on=date(2026, 2, 10),
        next_review_on=date(2027, 3, 1),
    )
    with pytest.raises(ValidationError) as exc:
        policy.full_clean()
    assert "next_review_on" in exc.value.message_dict


def test_a_review_cycle_longer_than_a_year_is_invalid():
    policy = Policy(title="T", slug="t", review_months=13)
    with pytest.raises(ValidationError) as exc:
        policy.clean_fields(exclude=["school"])
    assert "review_months" in exc.value.message_dict


def test_months_are_added_to_the_end_of_a_short_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2023, 2, 28), 12) == date(2024, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)


def test_a_next_review_before_the_ratification_is_refused():
    policy = Policy(ratified_on=date(2026, 9, 1))
    with pytest.raises(Refused, match="must be after the ratification"):
        policy.set_next_review(date(2021, 1, 1))
