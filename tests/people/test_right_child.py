"""Two learners of one name are told apart wherever a learner is chosen: the pickers, the
desk's rows and the report form's matches show year, class and date of birth; and the Learners
page finds a full name, as the desk does."""

from datetime import date

import pytest
from django.urls import reverse

from incidents.models import Concern
from tests.factories import LearnerFactory
from tests.incidents.test_views import _form

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins_by_name(world):
    """Two Finley Kings of the same class, born a year apart."""
    return [
        LearnerFactory(
            school=world.school,
            legal_first_name="Finley",
            legal_last_name="Kingsbridge",
            class_name="Cedar",
            year_group=year,
            date_of_birth=born,
        )
        for year, born in (("3", date(2018, 2, 3)), ("4", date(2017, 6, 9)))
    ]


def test_the_learners_page_finds_a_full_name(world, as_user):
    LearnerFactory(school=world.school, legal_first_name="Ava", legal_last_name="Quenby")
    LearnerFactory(school=world.school, legal_first_name="Ava", legal_last_name="Other")
    page = as_user(world.users["teacher"]).get(reverse("people:learners"), {"q": "Ava Quenby"})
    # The rows, not the search box (which shows what was typed).
    assert ">Ava Quenby</a>" in page.text
    assert "Ava Other" not in page.text


def test_the_confiscation_picker_tells_two_learners_of_one_name_apart(
    world, as_user, twins_by_name
):
    page = as_user(world.users["teacher"]).get(reverse("devices:confiscation_new")).text
    assert "Finley Kingsbridge (Year 3, Cedar, born 3 Feb 2018)" in page
    assert "Finley Kingsbridge (Year 4, Cedar, born 9 Jun 2017)" in page


def test_the_desk_rows_tell_two_learners_of_one_name_apart(world, as_user, twins_by_name):
    results = as_user(world.users["office"]).get(
        reverse("devices:desk_search"), {"q": "Finley Kingsb"}
    )
    assert "Year 3, born 3 Feb 2018" in results.text
    assert "Year 4, born 9 Jun 2017" in results.text


def test_the_report_forms_search_tells_them_apart(world, as_user, twins_by_name):
    matches = as_user(world.users["teacher"]).get(
        reverse("incidents:learner_search"),
        {"prefix": "people-0", "people-0-name": "Finley", "people-0-kind": "learner"},
    )
    assert "Year 3, Cedar, born 3 Feb 2018" in matches.text
    assert "Year 4, Cedar, born 9 Jun 2017" in matches.text


def test_without_javascript_a_typed_name_is_offered_back_as_choices(world, as_user, twins_by_name):
    """The form sent with a name typed and no learner chosen (the search never ran): it comes
    back asking which learner is meant, and saves nothing."""
    data = _form(world, **{"people-0-name": "Finley Kingsbridge"})
    del data["people-0-learner"]
    client = as_user(world.users["teacher"])
    page = client.post(reverse("incidents:new"), data)
    assert page.status_code == 200
    assert not Concern.objects.exists()
    assert "Choose which learner you mean" in page.text
    for learner in twins_by_name:
        assert f'value="{learner.pk}"' in page.text
    # Choosing one saves the concern about that learner.
    data["people-0-learner"] = twins_by_name[1].pk
    assert client.post(reverse("incidents:new"), data).status_code == 302
    concern = Concern.objects.get()
    assert [i.learner for i in concern.involvements.all() if i.learner] == [twins_by_name[1]]
