from datetime import date, timedelta

import pytest
from django.urls import reverse

from devices.models import (
    CurriculumUseRequest,
    LearnerExemption,
    ParentContactException,
    StaffException,
)
from people.calendar import SchoolCalendar
from roper.errors import Refused
from tests.conftest import session_queries


def file(client, kind, data):
    return client.post(reverse("devices:exception_new", args=[kind]), data)


def test_a_teacher_asks_to_use_a_personal_device_and_the_head_sees_it_pending(
    as_user, teacher, head, client
):
    file(as_user(teacher), "staff", {"kind": "device", "details": "On call for a sick parent"})
    obj = StaffException.objects.get()
    assert obj.requested_by == teacher and obj.is_pending
    page = as_user(head).get(reverse("devices:exceptions"))
    staff = page.context["sections"][0]
    assert staff["pending"] == [obj]


def test_the_head_approves_with_a_reason_and_dates(as_user, teacher, head):
    obj = StaffException.objects.create(
        school=teacher.memberships.get().school, requested_by=teacher, kind="social", details="x"
    )
    as_user(head).post(
        reverse("devices:exception", args=["staff", obj.pk]),
        {"approve": "yes", "reason": "Family friend", "starts_on": "2026-11-25",
         "ends_on": "2027-07-21"},
    )  # fmt: skip
    obj.refresh_from_db()
    assert obj.status == "approved" and obj.decided_by == head
    assert (obj.starts_on, obj.ends_on) == (date(2026, 11, 25), date(2027, 7, 21))


def test_a_decision_needs_a_reason(as_user, teacher, head):
    obj = StaffException.objects.create(
        school=teacher.memberships.get().school, requested_by=teacher, kind="device", details="x"
    )
    as_user(head).post(reverse("devices:exception", args=["staff", obj.pk]), {"approve": "no"})
    obj.refresh_from_db()
    assert obj.is_pending


def test_relationship_declarations_are_decided_by_the_dsl_not_the_head(as_user, teacher, head, dsl):
    file(as_user(teacher), "staff", {"kind": "relationship", "details": "My nephew is in Oak"})
    obj = StaffException.objects.get()
    assert as_user(head).get(reverse("devices:exceptions")).context["sections"][0]["pending"] == []
    assert as_user(dsl).get(reverse("devices:exceptions")).context["sections"][0]["pending"] == [
        obj
    ]
    response = as_user(head).post(
        reverse("devices:exception", args=["staff", obj.pk]), {"approve": "yes", "reason": "ok"}
    )
    assert response.status_code == 403
    as_user(dsl).post(
        reverse("devices:exception", args=["staff", obj.pk]), {"approve": "yes", "reason": "Fine"}
    )
    obj.refresh_from_db()
    assert obj.status == "approved" and obj.decided_by == dsl


def test_a_teacher_does_not_see_others_requests(as_user, teacher, leadership):
    file(as_user(leadership), "staff", {"kind": "device", "details": "x"})
    section = as_user(teacher).get(reverse("devices:exceptions")).context["sections"][0]
    assert section["pending"] is None and section["mine"] == []


def test_a_learner_exemption_approved_by_the_head(as_user, office, head, world):
    file(
        as_user(office),
        "exemptions",
        {"learner": world.learner.pk, "reason": "medical", "details": "Glucose monitor",
         "review_on": "2027-03-01"},
    )  # fmt: skip
    obj = LearnerExemption.objects.get()
    as_user(head).post(
        reverse("devices:exception", args=["exemptions", obj.pk]),
        {"approve": "yes", "reason": "Diabetes plan"},
    )
    obj.refresh_from_db()
    assert obj.status == "approved"


def test_a_parent_contact_exception_is_filed_for_a_learner(as_user, teacher, world):
    file(as_user(teacher), "parent-contact", {"learner": world.learner.pk, "details": "Carer"})
    assert ParentContactException.objects.get().learner == world.learner


def test_curriculum_use_needs_a_risk_assessment_and_leadership_approval(
    as_user, teacher, leadership
):
    response = file(as_user(teacher), "curriculum", {"activity": "Bird survey app"})
    assert response.status_code == 200 and not CurriculumUseRequest.objects.exists()
    file(
        as_user(teacher),
        "curriculum",
        {"activity": "Bird survey app", "date": str(SchoolCalendar.today() + timedelta(days=7)),
         "class_name": "Oak", "risks": "Photos of children",
         "controls": "No photos of people; staff check"},
    )  # fmt: skip
    obj = CurriculumUseRequest.objects.get()
    url = reverse("devices:exception", args=["curriculum", obj.pk])
    as_user(leadership).post(url, {"approve": "yes", "reason": "Risks controlled"})
    obj.refresh_from_db()
    assert obj.status == "approved" and obj.decided_by == leadership


def _curriculum_request(teacher, on=None):
    return CurriculumUseRequest.objects.create(
        school=teacher.memberships.get().school,
        requested_by=teacher,
        activity="Bird survey app",
        date=on or SchoolCalendar.today() + timedelta(days=7),
        class_name="Oak",
        risks="Photos of children",
        controls="No photos of people; staff check",
    )


def test_the_headteacher_decides_curriculum_use_requests_too(as_user, teacher, head):
    obj = _curriculum_request(teacher)
    client = as_user(head)
    register = client.get(reverse("devices:exceptions")).context["sections"]
    curriculum = next(s for s in register if s["register"].slug == "curriculum")
    assert curriculum["pending"] == [obj]
    url = reverse("devices:exception", args=["curriculum", obj.pk])
    assert "Record the decision" in client.get(url).content.decode()
    client.post(url, {"approve": "no", "reason": "The risk assessment misses location sharing"})
    obj.refresh_from_db()
    assert obj.status == "declined" and obj.decided_by == head
    assert obj.decision_reason == "The risk assessment misses location sharing"


def test_the_office_does_not_decide_curriculum_use_requests(as_user, teacher, office):
    obj = _curriculum_request(teacher)
    url = reverse("devices:exception", args=["curriculum", obj.pk])
    response = as_user(office).post(url, {"approve": "yes", "reason": "x"})
    assert response.status_code == 403
    obj.refresh_from_db()
    assert obj.is_pending


def test_no_one_decides_their_own_request(as_user, head):
    file(as_user(head), "staff", {"kind": "device", "details": "x"})
    obj = StaffException.objects.get()
    response = as_user(head).post(
        reverse("devices:exception", args=["staff", obj.pk]),
        {"approve": "yes", "reason": "Mine"},
        follow=True,
    )
    assert "cannot decide your own request" in response.content.decode()
    obj.refresh_from_db()
    assert obj.is_pending


def test_the_register_page_has_a_query_budget(
    as_user, teacher, head, django_assert_max_num_queries
):
    for _ in range(5):
        file(as_user(teacher), "staff", {"kind": "device", "details": "x"})
    client = as_user(head)
    with django_assert_max_num_queries(16 + session_queries()):
        client.get(reverse("devices:exceptions"))


def test_an_unknown_register_is_not_found(as_user, teacher):
    response = as_user(teacher).get(reverse("devices:exception_new", args=["nonsense"]))
    assert response.status_code == 404


def test_a_request_two_deciders_opened_at_once_is_decided_once(teacher, leadership, head):
    """Both pages read the request pending; leadership approves, then the head declines: the
    head is told it was decided, and the approval stands, once in the history."""
    obj = _curriculum_request(teacher)
    leaderships_page = CurriculumUseRequest.objects.get(pk=obj.pk)
    heads_page = CurriculumUseRequest.objects.get(pk=obj.pk)
    leaderships_page.decide(by=leadership, approve=True, reason="Risks controlled")
    with pytest.raises(Refused, match="This request has already been decided."):
        heads_page.decide(by=head, approve=False, reason="Location sharing")
    assert heads_page.status == "approved" and heads_page.decided_by == leadership
    obj.refresh_from_db()
    assert (obj.status, obj.decided_by, obj.decision_reason) == (
        "approved",
        leadership,
        "Risks controlled",
    )
    assert [h.status for h in obj.history.order_by("history_date")] == ["pending", "approved"]


def test_deciding_a_request_someone_decided_meanwhile_says_so(as_user, teacher, leadership, head):
    obj = _curriculum_request(teacher)
    url = reverse("devices:exception", args=["curriculum", obj.pk])
    as_user(leadership).post(url, {"approve": "yes", "reason": "Risks controlled"})
    response = as_user(head).post(url, {"approve": "no", "reason": "Location sharing"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "This request has already been decided." in content
    assert "Approved by Leadership Persona" in content
    assert "Record the decision" not in content
    obj.refresh_from_db()
    assert obj.status == "approved" and obj.decided_by == leadership


# -- Dates: nothing is approved that would never be in force


def _pending_exemption(world, office, review_on):
    return LearnerExemption.objects.create(
        school=world.school,
        requested_by=office,
        learner=world.learner,
        reason="medical",
        details="Glucose monitor",
        review_on=review_on,
    )


def _decide(client, kind, obj, **data):
    url = reverse("devices:exception", args=[kind, obj.pk])
    return client.post(url, {"approve": "yes", "reason": "Care plan", **data}, follow=True)


def test_an_exemption_cannot_be_asked_for_with_a_review_date_already_past(as_user, office, world):
    response = file(
        as_user(office),
        "exemptions",
        {"learner": world.learner.pk, "reason": "medical", "details": "Glucose monitor",
         "review_on": "2026-12-01"},
    )  # fmt: skip
    assert response.status_code == 200
    assert (
        "The review date (01/12/2026) has passed: an exemption is in force only until its "
        "review date, so this one never would be." in response.content.decode()
    )
    assert not LearnerExemption.objects.exists()


def test_an_exemption_cannot_be_approved_to_start_after_its_review_date(
    as_user, office, head, world
):
    today = SchoolCalendar.today()
    obj = _pending_exemption(world, office, review_on=today + timedelta(days=10))
    starts = today + timedelta(days=20)
    response = _decide(as_user(head), "exemptions", obj, starts_on=str(starts))
    assert "The start date is after the review date" in response.content.decode()
    obj.refresh_from_db()
    assert obj.is_pending and obj.starts_on is None


def test_an_exemption_whose_review_date_passed_while_pending_cannot_be_approved(
    as_user, office, head, world
):
    obj = _pending_exemption(world, office, review_on=SchoolCalendar.today() - timedelta(days=1))
    client = as_user(head)
    response = _decide(client, "exemptions", obj)
    assert "has passed: an exemption is in force only until its review date" in (
        response.content.decode()
    )
    obj.refresh_from_db()
    assert obj.is_pending
    _decide(client, "exemptions", obj, approve="no")  # declining it is still possible
    obj.refresh_from_db()
    assert obj.status == "declined"


def test_an_exemption_is_not_given_an_end_date_the_desk_would_ignore(as_user, office, head, world):
    """An exemption is in force until its review date (LearnerExemption.active_q): an end
    date before it was saved, and the learner stayed exempt at the desk past it."""
    today = SchoolCalendar.today()
    obj = _pending_exemption(world, office, review_on=today + timedelta(days=30))
    response = _decide(as_user(head), "exemptions", obj, ends_on=str(today + timedelta(days=5)))
    assert "An exemption is in force until its review date" in response.content.decode()
    obj.refresh_from_db()
    assert obj.is_pending and obj.ends_on is None


def test_a_parent_contact_exception_cannot_be_approved_to_end_in_the_past(
    as_user, teacher, head, world
):
    today = SchoolCalendar.today()
    obj = ParentContactException.objects.create(
        school=world.school, requested_by=teacher, learner=world.learner, details="Carer"
    )
    response = _decide(
        as_user(head),
        "parent-contact",
        obj,
        starts_on=str(today - timedelta(days=9)),
        ends_on=str(today - timedelta(days=2)),
    )
    assert "has passed: it would never be in force." in response.content.decode()
    obj.refresh_from_db()
    assert obj.is_pending


def test_curriculum_use_is_not_asked_for_or_approved_after_the_lesson(as_user, teacher, leadership):
    data = {"activity": "Bird survey app", "class_name": "Oak", "risks": "Photos",
            "controls": "No photos of people"}  # fmt: skip
    response = file(as_user(teacher), "curriculum", {**data, "date": "2026-12-01"})
    assert "The lesson&#x27;s date (01/12/2026) has passed" in response.content.decode()
    assert not CurriculumUseRequest.objects.exists()
    obj = _curriculum_request(teacher, on=date(2026, 12, 1))  # not decided before the lesson
    response = _decide(as_user(leadership), "curriculum", obj)
    assert "curriculum use is approved before the lesson" in response.content.decode()
    obj.refresh_from_db()
    assert obj.is_pending
