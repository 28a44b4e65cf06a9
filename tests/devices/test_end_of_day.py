from datetime import UTC, datetime

import time_machine
from django.urls import reverse

from devices import services
from devices.models import Absence, DayReconciliation, Handover
from tests.factories import LearnerFactory, confiscation

MORNING = datetime(2026, 11, 24, 8, 45, tzinfo=UTC)


def seeded_day(world, office):
    """Oak: 3 in, 2 collected, 1 still held with no explanation. Elm: 2 in, 1 collected and
    1 held with an explanation. An open confiscation in Elm."""
    oak = [world.learner] + [
        LearnerFactory(school=world.school, class_name="Oak") for _ in range(2)
    ]
    elm = [
        LearnerFactory(school=world.school, class_name="Elm", legal_first_name=n)
        for n in ("Edie", "Eric")
    ]
    with time_machine.travel(MORNING, tick=False):
        for learner in oak + elm:
            services.handover_check_in(learner=learner, by=office)
        for learner in oak[1:] + elm[:1]:
            services.handover_check_out(learner=learner, by=office)
        held = Handover.objects.get(learner=elm[1])
        services.handover_explain(handover=held, by=office, note="Dad collecting tomorrow")
    confiscation(elm[0], office, device="Blue tablet")
    return oak, elm


@time_machine.travel(MORNING)
def test_a_day_with_one_unexplained_phone_flags_exactly_that_one(as_user, office, world):
    seeded_day(world, office)
    response = as_user(office).get(reverse("devices:end_of_day"))
    content = response.content.decode()
    assert "1 phone still held with no explanation." in content
    assert content.count('class="text-danger fw-semibold unexplained"') == 1
    assert [h.learner for h in response.context["unexplained"]] == [world.learner]
    rows = {c["name"]: c for c in response.context["classes"]}
    assert (rows["Oak"]["handed_in"], rows["Oak"]["collected"], len(rows["Oak"]["held"])) == (
        3,
        2,
        1,
    )
    assert (rows["Elm"]["handed_in"], rows["Elm"]["collected"], len(rows["Elm"]["held"])) == (
        2,
        1,
        1,
    )
    assert [c.device for c in rows["Elm"]["confiscations"]] == ["Blue tablet"]
    assert "Dad collecting tomorrow" in content


@time_machine.travel(MORNING)
def test_explaining_a_phone_clears_the_flag(as_user, office, world):
    seeded_day(world, office)
    client = as_user(office)
    handover = Handover.objects.get(learner=world.learner)
    client.post(reverse("devices:end_of_day_explain", args=[handover.pk]), {"note": "Unwell"})
    response = client.get(reverse("devices:end_of_day"))
    assert response.context["unexplained"] == []


@time_machine.travel(MORNING)
def test_after_reconciling_a_change_needs_a_reason(as_user, office, world):
    seeded_day(world, office)
    client = as_user(office)
    client.post(reverse("devices:end_of_day_reconcile"), {"day": "2026-11-24"})
    assert DayReconciliation.objects.get().reconciled_by == office
    handover = Handover.objects.get(learner=world.learner)
    url = reverse("devices:end_of_day_explain", args=[handover.pk])
    response = client.post(url, {"note": "Unwell"}, follow=True)
    assert "give a reason for this change" in response.content.decode()
    assert Handover.objects.get(pk=handover.pk).held_note == ""
    client.post(url, {"note": "Unwell", "reason": "Forgot to note it"})
    assert Handover.objects.get(pk=handover.pk).held_note == "Unwell"


@time_machine.travel(MORNING)
def test_the_page_is_printable(as_user, office, world):
    content = as_user(office).get(reverse("devices:end_of_day")).content.decode()
    assert "css/devices.css" in content and 'class="no-print' in content


def test_the_end_of_day_page_has_a_query_budget(
    as_user, office, world, django_assert_max_num_queries
):
    seeded_day(world, office)
    client = as_user(office)
    with time_machine.travel(MORNING), django_assert_max_num_queries(8):
        client.get(reverse("devices:end_of_day"))


# -- The printed list of phones not yet collected (issue 16) ----------------------------------


def test_the_print_view_lists_exactly_the_phones_not_yet_collected(as_user, office, world):
    oak, elm = seeded_day(world, office)
    Handover.objects.filter(learner=world.learner).update(tag="P17")
    with time_machine.travel(MORNING):
        response = as_user(office).get(reverse("devices:end_of_day_print"))
    content = response.content.decode()
    assert [h.learner for h in response.context["handovers"]] == [elm[1], world.learner]
    assert "2 phones handed in and not collected" in content
    row = content.split("Amelia Khan", 1)[1].split("</tr>", 1)[0]
    for cell in ("<td>Oak</td>", f"<td>{world.learner.get_year_group_display()}</td>",
                 "<td>P17</td>", "<td>08:45</td>"):  # fmt: skip
        assert cell in row, cell
    assert "Dad collecting tomorrow" in content
    for collected in oak[1:] + elm[:1]:
        assert collected.name not in content
    assert "css/devices.css" in content and "data-print" in content


def test_the_print_view_of_another_day(as_user, office, world):
    seeded_day(world, office)
    with time_machine.travel(MORNING):
        later = as_user(office).get(reverse("devices:end_of_day_print"), {"day": "2026-11-25"})
    assert later.context["handovers"] == []
    assert "Every phone handed in on this day has been collected." in later.content.decode()


@time_machine.travel(MORNING)
def test_the_print_view_is_linked_from_the_end_of_day_page_and_the_desk(as_user, office, world):
    client = as_user(office)
    url = reverse("devices:end_of_day_print")
    assert (
        f'href="{url}?day=2026-11-24"' in client.get(reverse("devices:end_of_day")).content.decode()
    )
    assert f'href="{url}"' in client.get(reverse("devices:desk")).content.decode()


def test_the_print_view_has_a_query_budget(as_user, office, world, django_assert_max_num_queries):
    seeded_day(world, office)
    client = as_user(office)
    with time_machine.travel(MORNING), django_assert_max_num_queries(6):
        client.get(reverse("devices:end_of_day_print"))


# -- Who was absent (the evidence pack does not expect their phone) ---------------------------


def test_the_office_marks_who_was_absent_among_those_who_handed_nothing_in(as_user, office, world):
    oak, elm = seeded_day(world, office)
    away = LearnerFactory(school=world.school, class_name="Oak", legal_first_name="Ada")
    home = LearnerFactory(school=world.school, class_name="Elm", legal_first_name="Bo")
    client = as_user(office)
    with time_machine.travel(MORNING):
        page = client.get(reverse("devices:end_of_day"))
        listed = {learner.pk for learner in page.context["not_handed_in"]}
        assert {away.pk, home.pk} <= listed
        assert not listed & {learner.pk for learner in oak + elm}  # they handed one in
        assert "Absent: 0 learners marked" in page.content.decode()

        url = reverse("devices:end_of_day_absent")
        data = {"day": "2026-11-24", "absent": [away.pk, home.pk]}
        response = client.post(url, data, follow=True)
        assert "2 learners marked absent on 24/11/2026." in response.content.decode()
        client.post(url, data)  # sent twice: nothing more
        assert set(Absence.objects.values_list("learner", "school_day")) == {
            (away.pk, MORNING.date()),
            (home.pk, MORNING.date()),
        }
        # Bo was there after all: unticked, unmarked.
        client.post(url, {"day": "2026-11-24", "absent": [away.pk]})
        assert list(Absence.objects.values_list("learner", flat=True)) == [away.pk]
        html = client.get(reverse("devices:end_of_day")).content.decode()
    assert "Absent: 1 learner marked" in html
    assert f'value="{away.pk}" id="absent-{away.pk}" checked' in html


def test_marking_absent_a_learner_who_handed_a_phone_in_or_a_day_to_come_is_refused(
    as_user, office, world
):
    oak, _ = seeded_day(world, office)
    other = LearnerFactory(school=world.school, class_name="Oak")
    client = as_user(office)
    url = reverse("devices:end_of_day_absent")
    with time_machine.travel(MORNING):
        response = client.post(
            url, {"day": "2026-11-24", "absent": [other.pk, oak[0].pk]}, follow=True
        )
        assert f"{oak[0].name} handed a phone in that day: not absent." in response.content.decode()
        response = client.post(url, {"day": "2026-11-25", "absent": [other.pk]}, follow=True)
        assert "a day still to come" in response.content.decode()
        # Another school's learner (a forged form) changes nothing either.
        response = client.post(
            url, {"day": "2026-11-24", "absent": [world.other_learner.pk]}, follow=True
        )
        assert "Choose learners of the school on roll." in response.content.decode()
    assert not Absence.objects.exists()
