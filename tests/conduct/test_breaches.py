"""Recording a breach (two steps: the breach, then the ladder's step before anything is
recorded), with a confiscation in the same step or one linked; who may open it; the list
and its search."""

import uuid
from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from conduct import services
from conduct.models import Breach
from devices.models import Confiscation, CustodyEvent
from tests.factories import LearnerFactory, MembershipFactory, collector, confiscation, london

NOW = london(2026, 11, 25, 11, 30)
NEW = "/conduct/breaches/new/"


def form(world, **extra):
    return {
        "learner": world.learner.pk,
        "kind": "used",
        "at": "2026-11-25T11:20",
        "period": "lesson",
        "lesson": "Year 5 maths",
        "place": "classroom",
        "place_detail": "Room 12",
        "seen_by": world.users["teacher"].pk,
        "what_next": "Asked to hand it in; did so.",
        "reason_kind": "lesson",
        **extra,
    }


def test_the_teacher_sees_the_ladders_step_before_recording_then_it_is_recorded(
    world, teacher, as_user
):
    client = as_user(teacher)
    with time_machine.travel(NOW, tick=False):
        services.breach_record(
            learner=world.learner, by=teacher, kind="seen", at=NOW - timedelta(days=1),
            period="break", place="playground",
        )  # fmt: skip
        page = client.post(NEW, form(world, preview="1"))
        assert page.status_code == 200
        assert "Next step: Phone kept at the office until a parent or carer collects it" in (
            page.text
        )
        assert "breach number <strong>2</strong> this term" in page.text
        assert Breach.objects.count() == 1  # nothing recorded yet
        response = client.post(NEW, form(world, record="1", expected_position="2"))
    breach = Breach.objects.get(number_in_term=2)
    assert response.status_code == 302
    assert response["Location"] == reverse("conduct:breach", args=[breach.pk])
    assert (breach.ladder_position, breach.applied_position, breach.overridden) == (2, 2, False)
    assert (breach.lesson, breach.place_detail, breach.recorded_by) == (
        "Year 5 maths",
        "Room 12",
        teacher,
    )
    detail = client.get(response["Location"])
    assert "2. Phone kept at the office until a parent or carer collects it" in detail.text


def test_changing_the_step_without_a_reason_is_refused_and_nothing_is_saved(
    world, teacher, as_user
):
    client = as_user(teacher)
    with time_machine.travel(NOW, tick=False):
        page = client.post(
            NEW, form(world, record="1", expected_position="1", applied_position="3")
        )
        assert page.status_code == 200
        assert "Give the reason for applying a different step" in page.text
        assert not Breach.objects.exists()
        response = client.post(
            NEW,
            form(
                world,
                record="1",
                expected_position="1",
                applied_position="3",
                override_reason="Filmed a teacher",
            ),
        )
    assert response.status_code == 302
    breach = Breach.objects.get()
    assert (breach.ladder_position, breach.applied_position) == (1, 3)
    detail = client.get(response["Location"]).text
    assert "changed, because:</strong> Filmed a teacher" in detail


def test_the_confiscation_is_recorded_in_the_same_step(world, teacher, as_user):
    client = as_user(teacher)
    with time_machine.travel(NOW, tick=False):
        refused = client.post(NEW, form(world, record="1", expected_position="1", confiscate="on"))
        assert "Needed to record the confiscation." in refused.text
        assert not Confiscation.objects.exists()
        client.post(
            NEW,
            form(
                world,
                record="1",
                expected_position="1",
                confiscate="on",
                device="Black iPhone",
                held_at="Classroom drawer",
            ),
        )
    breach = Breach.objects.select_related("confiscation").get()
    assert breach.confiscation.device == "Black iPhone"
    assert breach.confiscation.learner == world.learner
    assert CustodyEvent.objects.filter(confiscation=breach.confiscation).count() == 1
    # No parent on file: the staff see that no one was told, and why, on the breach.
    page = client.get(reverse("conduct:breach", args=[breach.pk])).text
    assert "Phone confiscated: <strong>no notice sent.</strong> No parent or carer" in page


def test_an_existing_confiscation_is_linked_only_for_the_same_learner(world, teacher, as_user):
    other = LearnerFactory(school=world.school)
    theirs = confiscation(other, teacher)
    ours = confiscation(world.learner, teacher)
    client = as_user(teacher)
    with time_machine.travel(NOW, tick=False):
        page = client.post(NEW, form(world, preview="1", confiscation=theirs.pk))
        assert "This confiscation is of another learner." in page.text
        client.post(NEW, form(world, record="1", expected_position="1", confiscation=ours.pk))
    assert Breach.objects.get().confiscation == ours


def test_only_the_recorder_and_those_who_search_breaches_open_one(world, teacher, as_user):
    collector(world.learner)
    breach = services.breach_record(
        learner=world.learner, by=teacher, kind="used", at=timezone.now(), period="lunch",
        place="dining",
    )  # fmt: skip
    colleague = MembershipFactory(school=world.school, roles=["staff"]).user
    url = reverse("conduct:breach", args=[breach.pk])
    assert as_user(colleague).get(url).status_code == 403  # another teacher's record
    assert as_user(world.users["osl"]).get(url).status_code == 200
    page = as_user(teacher).get(url)
    assert page.status_code == 200 and "Breach this term" in page.text


def test_the_list_searches_by_learner_date_place_and_year_in_few_queries(
    world, dsl, as_user, django_assert_max_num_queries
):
    ava = LearnerFactory(school=world.school, legal_first_name="Ava", year_group="3")
    teacher = world.users["teacher"]
    with time_machine.travel(NOW, tick=False):
        for i, (learner, place) in enumerate(
            [(world.learner, "classroom"), (ava, "toilets"), (ava, "classroom")] * 4
        ):
            services.breach_record(
                learner=learner, by=teacher, kind="used", at=NOW - timedelta(days=i),
                period="lesson", place=place,
            )  # fmt: skip
    client = as_user(dsl)
    client.get("/conduct/breaches/")  # warm the session and the user's memberships
    with django_assert_max_num_queries(6):
        page = client.get("/conduct/breaches/")
    assert page.text.count("Amelia Khan") == 4 and page.text.count("Ava ") == 8
    with django_assert_max_num_queries(6):
        found = client.get("/conduct/breaches/?q=ava&place=toilets&year=3")
    assert found.text.count("<tr>") == 1 + 4
    dated = client.get("/conduct/breaches/?start=2026-11-24&end=2026-11-25")
    assert dated.text.count("<tr>") == 1 + 2
    assert as_user(teacher).get("/conduct/breaches/").status_code == 403


def test_sent_twice_the_breach_is_recorded_once(world, teacher, as_user):
    client = as_user(teacher)
    data = form(world, record="1", expected_position="1", _once=str(uuid.uuid4()))
    with time_machine.travel(NOW, tick=False):
        first = client.post(NEW, data)
        again = client.post(NEW, data)  # Enter pressed twice, or Back then Record again
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert Breach.objects.count() == 1


def test_another_schools_learner_or_confiscation_cannot_be_chosen(world, teacher, as_user):
    theirs = confiscation(world.other_learner, world.users["outsider"])
    client = as_user(teacher)
    with time_machine.travel(NOW, tick=False):
        page = client.post(
            NEW,
            form(world, record="1", expected_position="1", confiscation=theirs.pk)
            | {"learner": world.other_learner.pk},
        )
    assert page.status_code == 200
    assert "Choose one of the answers offered for “Learner”" in page.text
    assert "Choose one of the answers offered for “Or link a confiscation" in page.text
    assert not Breach.objects.exists()


def test_a_breach_stays_in_view_when_its_phone_becomes_evidence_the_viewer_may_not_know_of(
    world, teacher, as_user
):
    """The phone taken for a breach becomes evidence in an allegation about the headteacher:
    the head still sees the breach (it counts on the ladder for everyone alike, so hiding it
    would show in the next breach's step), but not the device, which the DSL does see."""
    from tests.factories import head_allegation

    device = confiscation(world.learner, teacher)
    breach = services.breach_record(
        learner=world.learner, by=teacher, kind="used", at=timezone.now(), period="lesson",
        place="classroom", confiscation=device,
    )  # fmt: skip
    Confiscation.objects.filter(pk=device.pk).update(concern=head_allegation(world))
    url = reverse("conduct:breach", args=[breach.pk])
    head = as_user(world.users["head"])
    page = head.get(url).text
    assert "Black iPhone" not in page
    assert reverse("devices:confiscation", args=[device.pk]) not in page
    assert world.learner.name in head.get(reverse("conduct:breaches")).text
    second = services.breach_next_step(learner=world.learner, at=timezone.now())
    assert second.step.position == 2  # the same step for the head as for anyone
    dsl_page = as_user(world.users["dsl"]).get(url).text
    assert "Black iPhone" in dsl_page
