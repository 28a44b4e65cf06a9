"""Actions on a concern: given to someone who may open it (never its subject), due on a day,
marked done by them or the owner, reminded on the day and once overdue, listed under
"My actions" while they may still open the concern."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from incidents.jobs import remind_actions
from incidents.models import Entry, Involvement
from incidents.services import concern_record
from roper.errors import Refused
from roper.models import Notification
from tests.factories import learner_concern, staff_allegation

LONDON = ZoneInfo("Europe/London")
DUE = date(2026, 11, 26)  # a Thursday


def _choices(client, concern) -> set[int]:
    page = client.get(reverse("incidents:record", args=[concern.pk, "action"])).text
    select = re.search(r'<select name="action-assignee".*?</select>', page, re.S).group(0)
    return {int(pk) for pk in re.findall(r'<option value="(\d+)"', select)}


def _ids(world, *personas) -> set[int]:
    return {world.users[p].pk for p in personas}


def _action(world, concern, to="teacher", by="dsl", due=DUE) -> Entry:
    return concern_record(
        concern=concern,
        by=world.users[by],
        kind="action",
        fields={
            "text": "Check in with her at break",
            "assignee": world.users[to],
            "action_due": due,
        },
    )


def test_an_action_can_be_given_only_to_those_who_may_open_the_concern(world, as_user):
    learner = learner_concern(world)  # reported by the teacher
    assert _choices(as_user(world.users["dsl"]), learner) == _ids(
        world, "dsl", "deputy_dsl", "head", "osl", "teacher"
    )
    allegation = staff_allegation(world)  # about leadership, reported by the office
    assert _choices(as_user(world.users["head"]), allegation) == _ids(
        world, "head", "dsl", "office"
    )


def test_the_subject_of_an_allegation_is_refused_as_assignee_by_the_server(world, as_user):
    allegation = staff_allegation(world)
    head = as_user(world.users["head"])
    response = head.post(
        reverse("incidents:record", args=[allegation.pk, "action"]),
        {
            "action-text": "Ask for their account of it",
            "action-assignee": world.users["leadership"].pk,  # the alleged, typed in by hand
            "action-action_due": "2026-11-26",
        },
    )
    assert response.status_code == 400
    assert "Choose someone who may open this concern" in response.content.decode()
    assert not allegation.entries.filter(kind=Entry.Kind.ACTION).exists()
    with pytest.raises(Refused):  # the service checks again, whatever the form said
        _action(world, allegation, to="leadership", by="head")


def test_the_assignee_is_told_sees_it_and_marks_it_done(world, as_user):
    concern = learner_concern(world)
    action = _action(world, concern)
    note = Notification.objects.get(recipient=world.users["teacher"])
    assert note.title == "An action on a concern was given to you"
    assert "Amelia" not in note.title

    teacher = as_user(world.users["teacher"])  # the reporter: the reporter's view, and this
    mine = teacher.get(reverse("incidents:actions")).content.decode()
    assert "Check in with her at break" in mine and "26 Nov 2026" in mine
    page = teacher.get(reverse("incidents:detail", args=[concern.pk])).content.decode()
    assert "Check in with her at break" in page and "Mark this action done" in page

    done = teacher.post(reverse("incidents:action_done", args=[concern.pk, action.pk]), follow=True)

    page = done.content.decode()
    name = world.users["teacher"].get_full_name()
    assert "The action is marked done." in page
    assert f"done by {name} on" in page
    action.refresh_from_db()
    assert (action.action_done, action.action_done_by) == (True, world.users["teacher"])
    assert "Check in with her at break" not in teacher.get(reverse("incidents:actions")).text


def test_only_the_assignee_or_the_owner_may_mark_it_done(world, as_user):
    concern = learner_concern(world)  # owned by the DSL
    action = _action(world, concern)
    url = reverse("incidents:action_done", args=[concern.pk, action.pk])
    # The deputy sees the concern in full but neither owns it nor was given the action.
    response = as_user(world.users["deputy_dsl"]).post(url, follow=True)
    assert "Only the person the action was given to" in response.content.decode()
    action.refresh_from_db()
    assert not action.action_done
    as_user(world.users["dsl"]).post(url)
    action.refresh_from_db()
    assert action.action_done_by == world.users["dsl"]


def test_reminders_on_the_day_and_once_overdue_never_naming_the_child(world):
    concern = learner_concern(world)
    _action(world, concern)
    teacher = world.users["teacher"]
    day_before = datetime(2026, 11, 25, 9, tzinfo=LONDON)
    on_the_day = datetime(2026, 11, 26, 7, 30, tzinfo=LONDON)

    assert remind_actions(day_before) == 0
    assert remind_actions(on_the_day) == 1
    assert remind_actions(on_the_day + timedelta(hours=6)) == 0  # once
    assert remind_actions(on_the_day + timedelta(days=1)) == 1
    assert remind_actions(on_the_day + timedelta(days=2)) == 0  # once overdue, not daily
    titles = list(
        Notification.objects.filter(recipient=teacher, reminder__isnull=False)
        .order_by("pk")
        .values_list("title", flat=True)
    )
    assert titles == ["An action on a concern is due today", "An action on a concern is overdue"]
    for note in Notification.objects.filter(recipient=teacher):
        assert "Amelia" not in note.title and "Khan" not in note.title
        assert note.url == reverse("incidents:detail", args=[concern.pk])


def test_an_action_on_a_concern_no_longer_open_to_them_is_neither_listed_nor_reminded(
    world, as_user
):
    concern = learner_concern(world)
    _action(world, concern, to="osl")
    # The OSL is then named in it as the alleged: it is concealed from them from now on.
    Involvement(concern=concern, kind="staff", staff=world.users["osl"], part="alleged").save()
    assert remind_actions(datetime(2026, 11, 26, 9, tzinfo=LONDON)) == 0
    page = as_user(world.users["osl"]).get(reverse("incidents:actions")).content.decode()
    assert "Check in with her at break" not in page and "No actions are waiting for you." in page


def test_an_old_action_with_who_as_typed_still_reads(world, as_user):
    concern = learner_concern(world)
    Entry.objects.create(
        concern=concern, kind="action", text="Speak to the class", action_by="Class teacher"
    )
    page = as_user(world.users["dsl"]).get(reverse("incidents:detail", args=[concern.pk])).text
    assert "Who: Class teacher" in page
