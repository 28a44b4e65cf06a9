import pytest
from django.urls import reverse

from tests.factories import LearnerFactory

pytestmark = pytest.mark.django_db


def test_a_learner_of_another_school_is_not_found(world, as_user):
    client = as_user(world.users["dsl"])
    response = client.get(reverse("people:learner", args=[world.other_learner.pk]))
    assert response.status_code == 404


def test_the_learner_list_never_shows_another_schools_learners(world, as_user):
    client = as_user(world.users["teacher"])
    response = client.get(reverse("people:learners"))
    assert world.learner.legal_last_name in response.text
    assert world.other_learner.legal_last_name not in response.text

    searched = client.get(reverse("people:learners"), {"q": world.other_learner.legal_last_name})
    assert "No learners match." in searched.text
    assert reverse("people:learner", args=[world.other_learner.pk]) not in searched.text


def test_the_learner_list_makes_the_same_number_of_queries_for_ten_or_a_hundred(
    world, as_user, django_assert_max_num_queries
):
    client = as_user(world.users["teacher"])
    LearnerFactory.create_batch(10, school=world.school)
    with django_assert_max_num_queries(8) as small:
        client.get(reverse("people:learners"))
    LearnerFactory.create_batch(90, school=world.school)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("people:learners"))
    assert response.status_code == 200


def test_a_learner_page_shows_who_may_collect(world, as_user):
    from tests.factories import GuardianshipFactory

    GuardianshipFactory(learner=world.learner, guardian__name="Nadia Khan", may_collect=True)
    GuardianshipFactory(
        learner=world.learner,
        guardian__name="Grace Khan",
        relationship="Grandmother",
        may_collect=False,
    )
    page = as_user(world.users["office"]).get(reverse("people:learner", args=[world.learner.pk]))
    assert "Nadia Khan" in page.text and "Grace Khan" in page.text
    assert page.text.index("Nadia Khan") < page.text.index("Grace Khan")  # collectors first


def test_the_admin_site_shows_an_admin_only_their_schools_learners(world, as_user):
    from django.contrib.auth.models import Permission

    admin_user = world.users["admin"]
    admin_user.user_permissions.add(Permission.objects.get(codename="view_learner"))
    page = as_user(admin_user).get(reverse("admin:people_learner_changelist"))
    assert page.status_code == 200
    assert world.learner.legal_last_name in page.text
    other = reverse("admin:people_learner_change", args=[world.other_learner.pk])
    assert other not in page.text
    assert "Other Primary School" not in page.text  # not even in the filters
    assert as_user(admin_user).get(other).status_code in (302, 404)


def test_the_admin_site_is_closed_to_every_other_role(world, as_user):
    page = as_user(world.users["head"]).get(reverse("admin:index"))
    assert page.status_code == 302 and page.url.startswith("/admin/login/")


def test_a_learner_page_links_to_the_chronology_for_those_who_may_read_it(world, as_user):
    chronology = reverse("reports:chronology", args=[world.learner.pk])
    for persona, shown in (("dsl", True), ("head", True), ("office", False), ("teacher", False)):
        page = as_user(world.users[persona]).get(reverse("people:learner", args=[world.learner.pk]))
        assert (chronology in page.text) is shown, persona


def test_the_admin_cannot_name_another_schools_parent_on_a_learner(world, client):
    """An id of school B's parent posted in the learner's parents and carers is refused: the
    parent's phone and email would otherwise show to school A's staff on the learner page."""
    from people.models import Guardianship
    from tests.factories import GuardianFactory

    ours = GuardianFactory(school=world.school, name="Jane Ourparent")
    theirs = GuardianFactory(school=world.other_school, name="Zebedee Secretparent")
    learner = world.learner
    client.force_login(world.users["admin"])
    url = reverse("admin:people_learner_change", args=[learner.pk])

    def post(guardian):
        return client.post(
            url,
            {
                "legal_first_name": learner.legal_first_name,
                "legal_last_name": learner.legal_last_name,
                "year_group": learner.year_group,
                "class_name": learner.class_name,
                "upn": learner.upn,
                "date_of_birth": learner.date_of_birth.isoformat(),
                "active": "on",
                "school": learner.school_id,
                "guardianships-TOTAL_FORMS": "1",
                "guardianships-INITIAL_FORMS": "0",
                "guardianships-MIN_NUM_FORMS": "0",
                "guardianships-MAX_NUM_FORMS": "1000",
                "guardianships-0-guardian": guardian.pk,
                "guardianships-0-relationship": "Mother",
                "guardianships-0-may_collect": "on",
                "guardianships-0-learner": learner.pk,
            },
        )

    refused = post(theirs)
    assert refused.status_code == 200  # the form again, with its error
    assert "Select a valid choice" in refused.text
    assert not Guardianship.objects.filter(guardian=theirs).exists()
    assert "Secretparent" not in client.get(url).text

    assert post(ours).status_code == 302
    assert Guardianship.objects.filter(guardian=ours, learner=learner).exists()


def test_a_parent_of_another_school_is_refused_on_any_path(world):
    from django.core.exceptions import ValidationError

    from people.models import Guardianship
    from tests.factories import GuardianFactory

    link = Guardianship(
        learner=world.learner,
        guardian=GuardianFactory(school=world.other_school),
        relationship="Mother",
    )
    with pytest.raises(ValidationError, match="learner's school"):
        link.full_clean()
