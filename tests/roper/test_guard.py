"""The one guard, the one refusal and the one lock (roper/permissions.py, errors.py,
locking.py): a function view and a class-based view refuse alike."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.views.generic import DetailView

from people.models import Learner
from roper.errors import Refused, refusal_redirects
from roper.locking import locked
from roper.models import AccessLog
from roper.permissions import PermissionMixin, permission_required
from tests.factories import LearnerFactory, MembershipFactory, SchoolFactory

pytestmark = pytest.mark.django_db


@permission_required("learners.chronology", model=Learner)
def chronology_like(request, pk):
    return "ran"


@permission_required("devices.desk", where="active")
def desk_like(request):
    return "ran"


class ChronologyLikeView(PermissionMixin, DetailView):
    permission = "learners.chronology"
    model = Learner


def _request(user, school=None):
    request = RequestFactory().get("/")
    request.user, request.school = user, school
    return request


def test_a_function_view_and_a_class_view_refuse_and_log_alike():
    school = SchoolFactory()
    learner = LearnerFactory(school=school)
    teacher = MembershipFactory(school=school, roles=["staff"]).user

    with pytest.raises(PermissionDenied):
        chronology_like(_request(teacher, school), pk=learner.pk)
    with pytest.raises(PermissionDenied):
        ChronologyLikeView.as_view()(_request(teacher, school), pk=learner.pk)

    refusals = AccessLog.objects.filter(outcome=AccessLog.Outcome.REFUSED, user=teacher)
    assert refusals.count() == 2
    assert {entry.object_id for entry in refusals} == {learner.pk}


def test_active_means_the_school_the_user_is_working_in():
    here, there = SchoolFactory(), SchoolFactory()
    user = MembershipFactory(school=here, roles=["office"]).user
    MembershipFactory(user=user, school=there, roles=["staff"])

    assert desk_like(_request(user, here)) == "ran"
    with pytest.raises(PermissionDenied):
        desk_like(_request(user, there))


def test_a_refusal_becomes_a_message_and_a_redirect(rf):
    @refusal_redirects(lambda request, pk: f"/back/{pk}/")
    def view(request, pk):
        raise Refused("Not today.")

    request = rf.post("/")
    request.session = {}
    from django.contrib.messages.storage.fallback import FallbackStorage

    request._messages = FallbackStorage(request)
    response = view(request, pk=7)

    assert response.status_code == 302 and response.url == "/back/7/"
    assert [str(m) for m in get_messages(request)] == ["Not today."]


def test_locked_rechecks_the_rule_on_the_current_row_and_changes_nothing_when_refused():
    learner = LearnerFactory(class_name="3B")
    stale = Learner.objects.get(pk=learner.pk)
    Learner.objects.filter(pk=learner.pk).update(class_name="4B")

    def moved_up(row):
        return "moved up" if row.class_name == "4B" else None

    with pytest.raises(Refused, match="moved up"), locked(stale, check=moved_up) as row:
        row.active = False
        row.save()

    assert Learner.objects.get(pk=learner.pk).active
