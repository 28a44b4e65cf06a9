"""The report form finds a learner by search, and only for those who may look learners up
(`learners.view`): a governor, the chair or the admin reporting a concern never receives a
learner's name, in the form, the search or an error; they type the child's name, which is
kept on the concern for the DSL."""

import pytest
from django.urls import reverse

from incidents.models import Concern
from tests.factories import LearnerFactory
from tests.incidents.test_views import _form

pytestmark = pytest.mark.django_db

NOT_STAFF = ["governor", "chair", "admin"]


def _search(client, name, kind="learner"):
    return client.get(
        reverse("incidents:learner_search"),
        {"prefix": "people-0", "people-0-name": name, "people-0-kind": kind},
    )


@pytest.mark.parametrize("persona", ["teacher", *NOT_STAFF])
def test_the_form_lists_no_learner_to_anyone(persona, world, as_user):
    # A name no staff member's (random) name can contain.
    LearnerFactory(school=world.school, legal_first_name="Oriel", legal_last_name="Quillfeather")
    page = as_user(world.users[persona]).get(reverse("incidents:new")).text
    assert "Quillfeather" not in page
    assert 'name="people-0-name"' in page
    # Staff search as they type; the others have a plain box for the name.
    assert (reverse("incidents:learner_search") in page) == (persona == "teacher")


def test_staff_find_a_learner_of_their_school_by_name(world, as_user):
    LearnerFactory(school=world.school, legal_first_name="Amir", legal_last_name="Shah")
    LearnerFactory(
        school=world.school, legal_first_name="Amy", legal_last_name="Gone", active=False
    )
    LearnerFactory(school=world.other_school, legal_first_name="Amelia", legal_last_name="Far")
    response = _search(as_user(world.users["teacher"]), "am")
    assert response.status_code == 200
    assert "Amelia Khan" in response.text
    assert "Amir Shah" in response.text
    assert "Gone" not in response.text  # left the school
    assert "Far" not in response.text  # another school's
    assert f'name="people-0-learner" id="people-0-learner-{world.learner.pk}"' in response.text


def test_the_search_narrows_by_each_word_and_ignores_visitor_rows(world, as_user):
    LearnerFactory(school=world.school, legal_first_name="Amelia", legal_last_name="Shah")
    client = as_user(world.users["teacher"])
    assert "Amelia Shah" not in _search(client, "amelia kh").text
    assert "Amelia Khan" in _search(client, "amelia kh").text
    assert "Amelia" not in _search(client, "Amelia", kind="visitor").text


@pytest.mark.parametrize("persona", NOT_STAFF)
def test_the_search_refuses_those_who_may_not_look_learners_up(persona, world, as_user):
    response = _search(as_user(world.users[persona]), "Amelia")
    assert response.status_code == 403
    assert "Khan" not in response.text


def test_the_search_costs_a_fixed_number_of_queries(world, as_user, django_assert_max_num_queries):
    for n in range(20):
        LearnerFactory(school=world.school, legal_first_name=f"Amos{n}", legal_last_name="Lee")
    client = as_user(world.users["teacher"])
    with django_assert_max_num_queries(4):  # session, user, memberships, learners
        response = _search(client, "am")
    assert response.text.count('type="radio"') == 8 + 1  # eight matches and "none of these"


def test_a_governor_types_the_childs_name_and_it_is_kept_for_the_dsl(world, as_user):
    # A forged learner id is ignored: a governor cannot link (or probe) the learner records.
    data = _form(world, **{"people-0-name": "Amelia, Year 5"})
    response = as_user(world.users["governor"]).post(reverse("incidents:new"), data)
    assert response.status_code == 302
    person = Concern.objects.get().involvements.get(kind="learner")
    assert (person.learner, person.name, person.is_subject) == (None, "Amelia, Year 5", True)


def test_a_governors_form_with_an_error_names_no_learner(world, as_user):
    data = _form(world, what_happened="", **{"people-0-name": "the girl in Year 5"})
    response = as_user(world.users["governor"]).post(reverse("incidents:new"), data)
    assert response.status_code == 200
    assert "Fill in “What happened”." in response.text  # the error summary and the field
    # The learner's name in any order (a staff member's random first name may be Amelia).
    assert "Amelia Khan" not in response.text
    assert "Khan, Amelia" not in response.text
    assert not Concern.objects.exists()


def test_a_teachers_form_with_an_error_keeps_the_learner_chosen(world, as_user):
    data = _form(world, what_happened="")  # people-0-learner: Amelia Khan
    response = as_user(world.users["teacher"]).post(reverse("incidents:new"), data)
    assert response.status_code == 200
    assert f'value="{world.learner.pk}" checked' in response.text and "Amelia Khan" in response.text


def test_a_learner_not_found_is_kept_by_name(world, as_user):
    data = _form(world, **{"people-0-learner": "", "people-0-name": "New girl, not on roll"})
    assert as_user(world.users["teacher"]).post(reverse("incidents:new"), data).status_code == 302
    person = Concern.objects.get().involvements.get(kind="learner")
    assert (person.learner, person.name) == (None, "New girl, not on roll")


def test_a_learner_row_needs_a_choice_or_a_name(world, as_user):
    data = _form(world, **{"people-0-learner": "", "people-0-name": ""})
    response = as_user(world.users["teacher"]).post(reverse("incidents:new"), data)
    assert "Choose the learner or staff member, or type the name." in response.text
    assert not Concern.objects.exists()
