"""The import page (/people/import/): upload, preview, apply once, progress."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from people.models import ImportRun, Learner
from people.services import import_previews_forget, import_progress
from tests.factories import LearnerFactory
from tests.people.importing import SIMS_HEADER, sims_file, sims_row, upn

pytestmark = pytest.mark.django_db


@pytest.fixture
def apply(django_capture_on_commit_callbacks):
    """Press Apply. The task is enqueued when the claim commits: run it then, as a worker
    would (eagerly, as without a broker)."""

    def press(client, run, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("people:import_apply", args=[run.pk]), **kwargs)

    return press


def _upload(client, text, *, full_roll=True, name="roll.csv"):
    data = {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")}
    if full_roll:
        data["full_roll"] = "on"
    return client.post(reverse("people:import"), data)


def _run(response) -> ImportRun:
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportRun.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])


def test_the_preview_shows_what_will_be_created_changed_left_and_skipped_and_changes_nothing(
    world, as_user
):
    client = as_user(world.users["admin"])
    LearnerFactory(
        school=world.school,
        upn=upn(2),
        legal_first_name="Child2",
        legal_last_name="Family1",
        class_name="Old",
        year_group="3",
        date_of_birth="2016-03-03",
    )
    bad = "A801200005001,Khan,Ava,,01/01/2016,2,2A,,,,,,,,,,,,\n"
    run = _run(_upload(client, sims_file(3) + bad))

    page = client.get(reverse("people:import_run", args=[run.pk])).content.decode()
    assert "2 learners to add" in page
    assert "1 learner to change" in page
    assert "Child2 Family1 (" in page and "class_name" in page
    # The world's learner (Amelia Khan) is not in the file: she would be marked as left.
    assert "1 learner to mark as left" in page and "Amelia Khan" in page
    assert "Line 5: UPN &#x27;A801200005001&#x27; has the wrong check letter" in page
    assert Learner.objects.filter(school=world.school).count() == 2  # nothing applied yet
    assert world.learner.active


def test_apply_does_what_the_preview_said_once_even_when_pressed_twice(world, as_user, apply):
    client = as_user(world.users["admin"])
    run = _run(_upload(client, sims_file(3)))

    first = apply(client, run)
    second = apply(client, run, follow=True)

    assert first.status_code == 302
    run.refresh_from_db()
    assert run.status == ImportRun.Status.APPLIED
    assert run.rows == []  # the learners' details are not kept beside Roper's records
    assert Learner.objects.filter(school=world.school, active=True).count() == 3
    world.learner.refresh_from_db()
    assert world.learner.active is False  # left, never deleted
    assert "applied already. Nothing was applied twice" in second.content.decode()


def test_re_importing_the_same_file_says_no_changes(world, as_user, apply):
    client = as_user(world.users["admin"])
    apply(client, _run(_upload(client, sims_file(5))))

    again = _run(_upload(client, sims_file(5)))
    page = client.get(reverse("people:import_run", args=[again.pk])).content.decode()
    assert "No changes" in page
    assert again.plan["unchanged"] == 5


def test_a_file_that_is_not_a_roll_is_refused_on_the_form(world, as_user):
    client = as_user(world.users["admin"])
    response = _upload(client, "Name,Shoe size\nAva,3\n")
    assert response.status_code == 200
    assert "missing the column(s): upn" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_run_being_applied_shows_its_progress_to_poll(world, as_user):
    client = as_user(world.users["admin"])
    run = _run(_upload(client, sims_file(3)))
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.APPLYING)

    page = client.get(reverse("people:import_run", args=[run.pk])).content.decode()
    assert 'hx-get="/people/import/' in page and "Applying: 0 of 3 rows" in page
    progress = client.get(reverse("people:import_progress", args=[run.pk]))
    assert "HX-Refresh" not in progress


def test_progress_reports_rows_done_while_the_task_applies(world, as_user, monkeypatch, apply):
    from people import importer, services

    client = as_user(world.users["admin"])
    run = _run(_upload(client, sims_file(600)))
    seen = []
    real_apply = importer.import_apply

    def watching(**kwargs):
        progress = kwargs["progress"]

        def record(done, total):
            progress(done, total)
            seen.append(import_progress(run))

        return real_apply(**{**kwargs, "progress": record})

    monkeypatch.setattr(services, "import_apply", watching)
    apply(client, run)
    assert seen == [(250, 600), (500, 600), (600, 600)]


def test_a_preview_nobody_applied_is_forgotten_after_a_day(world, as_user):
    from datetime import timedelta

    from django.utils import timezone

    client = as_user(world.users["admin"])
    run = _run(_upload(client, sims_file(3)))
    import_previews_forget(now=timezone.now() + timedelta(days=2))
    run.refresh_from_db()
    assert run.status == ImportRun.Status.DISCARDED and run.rows == []


def test_discard_changes_nothing_and_the_run_cannot_be_applied_after(world, as_user, apply):
    client = as_user(world.users["admin"])
    run = _run(_upload(client, sims_file(3)))
    client.post(reverse("people:import_discard", args=[run.pk]))
    apply(client, run)
    assert Learner.objects.filter(school=world.school).count() == 1


def test_the_import_pages_name_nothing_of_another_school(world, as_user):
    client = as_user(world.users["admin"])
    LearnerFactory(school=world.other_school, upn=upn(1), legal_first_name="Secret")
    run = _run(_upload(client, SIMS_HEADER + sims_row(1)))
    page = client.get(reverse("people:import_run", args=[run.pk])).content.decode()
    # The same UPN at another school is a new learner here, and the other one is not named.
    assert "1 learner to add" in page and "Secret" not in page
    assert "Zed" not in page


def test_the_import_page_lists_recent_imports_in_few_queries(
    world, as_user, django_assert_max_num_queries
):
    client = as_user(world.users["admin"])
    for _ in range(3):
        _upload(client, sims_file(2))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("people:import"))
    assert page.content.decode().count("roll.csv") == 3


def test_a_file_listing_a_parent_as_contact_1_and_2_applies_what_the_preview_said(
    world, as_user, apply
):
    client = as_user(world.users["admin"])
    twice = (
        f"{upn(9)},Khan,Ava,,01/01/2016,2,2A,"
        "Sara Khan,Mother,07700 900009,sara@example.org,1,Yes,"
        "SARA KHAN,Mother,07700 900009,Sara@Example.org,2,Yes\n"
    )
    run = _run(_upload(client, SIMS_HEADER + sims_row(1) + sims_row(2) + twice, full_roll=False))
    page = client.get(reverse("people:import_run", args=[run.pk])).content.decode()
    assert "3 learners to add" in page
    assert "Line 4: contact 2 (SARA KHAN) is contact 1 again: read once" in page

    apply(client, run)

    run.refresh_from_db()
    page = client.get(reverse("people:import_run", args=[run.pk])).content.decode()
    assert run.status == ImportRun.Status.APPLIED, page
    assert "What was done" in page and "3 learners to add" in page
    ava = Learner.objects.get(school=world.school, upn=upn(9))
    assert [g.guardian.name for g in ava.guardianships.select_related("guardian")] == ["Sara Khan"]


def test_an_import_that_fails_says_why_in_words_and_changes_nothing(
    world, as_user, apply, monkeypatch
):
    from django.db import IntegrityError

    from people import services

    def failing(**kwargs):
        raise IntegrityError("UNIQUE constraint failed: people_guardianship.learner_id")

    client = as_user(world.users["admin"])
    run = _run(_upload(client, sims_file(3)))
    monkeypatch.setattr(services, "import_apply", failing)

    response = apply(client, run)

    assert response.status_code == 302  # not a server error page
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    page = client.get(reverse("people:import_run", args=[run.pk])).content.decode()
    assert "Roper could not apply this import, so nothing was changed" in page
    assert "upload the file once more" in page
    assert "UNIQUE" not in page and "people_guardianship" not in page
    assert "What applying would have done" in page
    assert Learner.objects.filter(school=world.school).count() == 1
    assert world.learner.active


def test_the_preview_flags_a_new_upn_for_a_child_already_on_the_roll(world, as_user, apply):
    client = as_user(world.users["admin"])
    # Amelia Khan (the world's learner) with a permanent UPN; and a child with the name and
    # birthday of the other school's learner, who is nothing to this school.
    row = "{upn},{last},{first},,01/10/2015,5,5A,,,,,,,,,,,,\n"
    text = (
        SIMS_HEADER
        + row.format(upn=upn(7), last="Khan", first="Amelia")
        + row.format(upn=upn(8), last="Other", first="Zed")
    )
    run = _run(_upload(client, text))
    page = client.get(reverse("people:import_run", args=[run.pk])).content.decode()

    assert "2 learners to add" in page and "1 row to check" in page
    assert (
        f"Line 2: Amelia Khan, born 1 Oct 2015, is already in Roper with UPN "
        f"{world.learner.upn}: applying adds a second learner with UPN {upn(7)}." in page
    )
    assert world.other_learner.upn not in page and "Line 3" not in page
