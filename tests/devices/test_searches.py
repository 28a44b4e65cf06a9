"""Searches for a device (DfE, "Searching, screening and confiscation", 2022): who may search,
the record the guidance asks for, and where it shows (the confiscation's custody page, the
learner's chronology, the list for the DSL, head and leadership)."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from devices import services
from devices.models import Search, SearchAuthorisation
from reports.chronology import learner_chronology
from roper.errors import Refused
from tests.devices.searches import search
from tests.factories import LearnerFactory, confiscation, head_allegation

pytestmark = pytest.mark.django_db

KEY = re.compile(r'name="_once" value="([0-9a-f-]{36})"')


def _form(world, **fields) -> dict:
    return {
        "learner": world.learner.pk,
        "searched_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "place": "Year 6 cloakroom",
        "grounds": "Two pupils saw him filming in the toilets",
        "consent": "agreed",
        "searched_bag": "on",
        "witness": world.users["dsl"].pk,
        "witness_same_sex": "yes",
        **fields,
    }


def test_the_head_records_a_search_and_enter_twice_saves_it_once(world, as_user):
    client = as_user(world.users["head"])
    key = KEY.search(client.get(reverse("devices:search_new")).text).group(1)
    data = _form(world, anything_found="on", found="Black iPhone in the front pocket", _once=key)

    first = client.post(reverse("devices:search_new"), data)
    second = client.post(reverse("devices:search_new"), data)

    found = Search.objects.get()
    assert first.url == second.url == reverse("devices:search", args=[found.pk])
    assert (found.searched_by, found.witness, found.recorded_by) == (
        world.users["head"],
        world.users["dsl"],
        world.users["head"],
    )
    page = client.get(first.url).text
    assert "Black iPhone in the front pocket" in page and "Year 6 cloakroom" in page


def test_only_staff_the_head_authorised_may_search_until_revoked(world, as_user):
    teacher, head = world.users["teacher"], world.users["head"]
    client = as_user(teacher)
    refused = client.get(reverse("devices:search_new"))
    assert refused.status_code == 403
    assert "Only the headteacher, and staff the headteacher has authorised" in refused.text

    authorisation = services.search_authorise(school=world.school, user=teacher, by=head)
    assert client.get(reverse("devices:search_new")).status_code == 200
    made = client.post(reverse("devices:search_new"), _form(world))
    # The teacher who searched sees their own record, though not the list of searches.
    assert client.get(made.url).status_code == 200
    assert client.get(reverse("devices:searches")).status_code == 403

    services.search_authorisation_revoke(authorisation=authorisation, by=head)
    assert client.get(reverse("devices:search_new")).status_code == 403
    with pytest.raises(Refused, match="Only the headteacher"):
        search(world.learner, teacher, witness=world.users["dsl"])


def test_the_office_and_governors_cannot_be_authorised_nor_anyone_twice(world):
    head = world.users["head"]
    for persona in ("office", "governor"):
        with pytest.raises(Refused, match="not staff who may confiscate"):
            services.search_authorise(school=world.school, user=world.users[persona], by=head)
    services.search_authorise(school=world.school, user=world.users["osl"], by=head)
    with pytest.raises(Refused, match="already authorised"):
        services.search_authorise(school=world.school, user=world.users["osl"], by=head)
    assert SearchAuthorisation.objects.count() == 1


def test_the_head_authorises_and_revokes_from_the_page(world, as_user):
    client = as_user(world.users["head"])
    page = client.get(reverse("devices:search_authorisations")).text
    key = KEY.search(page).group(1)
    client.post(
        reverse("devices:search_authorisations"),
        {"user": world.users["teacher"].pk, "_once": key},
    )
    authorisation = SearchAuthorisation.objects.get(user=world.users["teacher"])
    client.post(reverse("devices:search_authorisation_revoke", args=[authorisation.pk]))
    authorisation.refresh_from_db()
    assert authorisation.revoked_at is not None and authorisation.revoked_by == world.users["head"]


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        # No witness, and no reason it could not wait.
        ({"witness": "", "witness_same_sex": ""}, "urgent_reason", "without a witness"),
        # Pockets searched by staff of the other sex.
        (
            {"searched_pockets": "on", "searcher_same_sex": "no"},
            "urgent_reason",
            "staff of the other sex",
        ),
        # Pockets searched, and the searcher did not say whether they are of the pupil's sex.
        ({"searched_pockets": "on"}, "searcher_same_sex", "Say whether you are of the same sex"),
        # ... nor whether the witness is.
        (
            {"searched_outer_clothing": "on", "searcher_same_sex": "yes", "witness_same_sex": ""},
            "witness_same_sex",
            "Say whether the witness is of the same sex",
        ),
        # A witness of the other sex, with no reason why none of the pupil's sex could be.
        (
            {"searched_pockets": "on", "searcher_same_sex": "yes", "witness_same_sex": "no"},
            "witness_sex_reason",
            "a witness of the pupil's sex wherever possible",
        ),
        ({"anything_found": "on"}, "found", "Say what was found"),
        ({"searched_bag": ""}, "searched_outer_clothing", "Say what was searched"),
        ({"parents_informed_at": "2026-01-01T10:00"}, "parents_informed_how", "how the parents"),
    ],
)
def test_a_search_against_the_guidance_is_refused_with_the_reason(
    world, as_user, fields, field, says
):
    response = as_user(world.users["head"]).post(
        reverse("devices:search_new"), _form(world, **fields)
    )
    assert response.status_code == 200
    assert says in " ".join(response.context["form"].errors[field])
    assert not Search.objects.exists()


def test_a_bag_search_asks_nothing_of_sex_and_records_no_for_both(world, as_user):
    response = as_user(world.users["head"]).post(
        reverse("devices:search_new"), _form(world, witness_same_sex="")
    )
    assert response.status_code == 302
    found = Search.objects.get()
    assert (found.searcher_same_sex, found.witness_same_sex) == (False, False)


def test_a_witness_of_the_other_sex_is_recorded_with_the_reason_and_shown(world, as_user):
    client = as_user(world.users["head"])
    reason = "The only other adult in the building was the caretaker; the pupil agreed."
    response = client.post(
        reverse("devices:search_new"),
        _form(
            world,
            searched_pockets="on",
            searcher_same_sex="yes",
            witness_same_sex="no",
            witness_sex_reason=reason,
        ),
    )
    assert response.status_code == 302
    found = Search.objects.get()
    assert (found.searcher_same_sex, found.witness_same_sex) == (True, False)
    html = client.get(reverse("devices:search", args=[found.pk])).content.decode()
    assert "Why no witness of the pupil's sex" in html and "caretaker" in html


def test_a_search_that_could_not_wait_may_go_without_a_witness(world):
    found = search(
        world.learner,
        world.users["head"],
        searched_pockets=True,
        urgent_reason="Threatened to share a video of a pupil at once; no one else in the block",
    )
    assert found.witness is None


def test_the_witness_is_never_the_searcher(world, as_user):
    response = as_user(world.users["head"]).post(
        reverse("devices:search_new"), _form(world, witness=world.users["head"].pk)
    )
    assert "witness" in response.context["form"].errors
    assert not Search.objects.exists()


def test_a_search_shows_on_the_chain_of_custody_of_what_it_found(world, as_user):
    head = world.users["head"]
    device = confiscation(world.learner, head)
    client = as_user(head)
    # The custody page offers to record the search that found it.
    page = client.get(reverse("devices:confiscation", args=[device.pk])).text
    assert f"?learner={world.learner.pk}&amp;confiscation={device.pk}" in page

    made = search(
        world.learner,
        head,
        witness=world.users["dsl"],
        anything_found=True,
        found="Black iPhone",
        confiscation=device,
    )
    page = client.get(reverse("devices:confiscation", args=[device.pk])).text
    assert reverse("devices:search", args=[made.pk]) in page
    # The office, who release the device, see that it was found in a search, not the record.
    office_page = as_user(world.users["office"]).get(
        reverse("devices:confiscation", args=[device.pk])
    )
    assert "Search on" in office_page.text
    assert reverse("devices:search", args=[made.pk]) not in office_page.text


def test_a_confiscation_of_another_pupils_device_is_refused(world):
    other = confiscation(LearnerFactory(school=world.school), world.users["head"])
    with pytest.raises(Refused, match="another pupil"):
        search(
            world.learner,
            world.users["head"],
            witness=world.users["dsl"],
            anything_found=True,
            found="Phone",
            confiscation=other,
        )


def test_the_chronology_shows_searches_to_those_who_read_them(world):
    search(world.learner, world.users["head"], witness=world.users["dsl"])
    kinds = [
        row["kind"] for row in learner_chronology(learner=world.learner, user=world.users["dsl"])
    ]
    assert kinds == ["Searched"]
    # The OSL reads the chronology, not the record of searches.
    assert learner_chronology(learner=world.learner, user=world.users["osl"]) == []


def test_a_search_of_a_device_held_for_a_concern_about_the_head_is_hidden_from_the_head(
    world, as_user
):
    concern = head_allegation(world)
    device = services.confiscation_record(
        learner=world.learner,
        device="Phone",
        reason="Evidence",
        by=world.users["dsl"],
        held_at="DSL safe",
        concern=concern,
    )
    hidden = search(
        world.learner,
        world.users["head"],
        witness=world.users["dsl"],
        anything_found=True,
        found="Phone",
        confiscation=device,
    )
    client = as_user(world.users["head"])
    assert client.get(reverse("devices:search", args=[hidden.pk])).status_code == 404
    assert str(hidden.pk) not in client.get(reverse("devices:searches")).text
    assert learner_chronology(learner=world.learner, user=world.users["head"]) == []


def test_the_list_of_searches_costs_the_same_for_many(
    world, as_user, django_assert_max_num_queries
):
    for _ in range(12):
        search(LearnerFactory(school=world.school), world.users["head"], witness=world.users["dsl"])
    client = as_user(world.users["dsl"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("devices:searches"))
    assert response.text.count('href="/devices/searches/') >= 12


def test_who_was_told_is_recorded_after_the_search_and_never_overwritten(world, as_user):
    made = search(world.learner, world.users["head"], witness=world.users["dsl"])
    client = as_user(world.users["dsl"])
    url = reverse("devices:search_told", args=[made.pk])
    later = (made.searched_at + timezone.timedelta(hours=2)).astimezone(
        timezone.get_current_timezone()
    )
    client.post(url, {"dsl_informed_at": later.strftime("%Y-%m-%dT%H:%M")})
    client.post(url, {"dsl_informed_at": "2030-01-01T10:00"})  # a second, later claim: kept out
    page = client.post(
        url,
        {"parents_informed_at": later.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    ).text
    made.refresh_from_db()
    assert timezone.localtime(made.dsl_informed_at).strftime("%H:%M") == later.strftime("%H:%M")
    assert made.parents_informed_at is None
    assert "Say how the parents or carers were told." in page


def test_a_new_search_told_to_parents_or_the_dsl_before_it_was_made_is_refused(world, as_user):
    at = timezone.localtime()
    before = (at - timezone.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = as_user(world.users["head"]).post(
        reverse("devices:search_new"),
        _form(
            world,
            searched_at=at.strftime("%Y-%m-%dT%H:%M"),
            parents_informed_at=before,
            parents_informed_how="Phone call",
            dsl_informed_at=before,
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    for field in ("parents_informed_at", "dsl_informed_at"):
        assert errors[field] == ["They cannot have been told before the search."]
    assert not Search.objects.exists()


def test_telling_after_the_search_is_refused_for_a_time_before_it(world, as_user):
    made = search(world.learner, world.users["head"], witness=world.users["dsl"])
    client = as_user(world.users["dsl"])
    before = (made.searched_at - timezone.timedelta(hours=2)).astimezone(
        timezone.get_current_timezone()
    )
    page = client.post(
        reverse("devices:search_told", args=[made.pk]),
        {"dsl_informed_at": before.strftime("%Y-%m-%dT%H:%M")},
        follow=True,
    ).text
    made.refresh_from_db()
    assert made.dsl_informed_at is None
    assert "They cannot have been told before the search." in page


def test_retention_destroys_the_search_with_the_device_it_found(world):
    from devices.models import Confiscation
    from devices.retention import destroy_confiscations

    device = confiscation(world.learner, world.users["head"])
    search(
        world.learner,
        world.users["head"],
        witness=world.users["dsl"],
        anything_found=True,
        found="Phone",
        confiscation=device,
    )
    destroy_confiscations(Confiscation.objects.filter(pk=device.pk))
    assert not Search.objects.exists() and not Search.history.exists()
