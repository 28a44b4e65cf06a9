import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from people.models import Learner
from roper import permissions
from tests.factories import (
    LearnerFactory,
    MembershipFactory,
    SchoolFactory,
    TrustFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_roles_are_per_school_for_a_user_in_two_schools():
    first, second = SchoolFactory(), SchoolFactory()
    user = UserFactory()
    MembershipFactory(user=user, school=first, roles=["osl", "deputy_dsl", "leadership"])
    MembershipFactory(user=user, school=second, roles=["governor"])

    assert permissions.roles_for(user, first) == {"osl", "deputy_dsl", "leadership"}
    assert permissions.roles_for(user, second) == {"governor"}
    assert permissions.has_perm(user, "incidents.triage", first)
    assert not permissions.has_perm(user, "incidents.triage", second)
    assert permissions.has_perm(user, "reports.governors", second)
    assert permissions.schools_with(user, "learners.view") == [first.pk]
    assert permissions.member_of(user) == sorted([first.pk, second.pk])


def test_a_trust_role_applies_in_every_school_of_the_trust_only():
    trust = TrustFactory()
    a, b = SchoolFactory(trust=trust), SchoolFactory(trust=trust)
    elsewhere = SchoolFactory()
    user = UserFactory()
    MembershipFactory(user=user, school=None, trust=trust, roles=["governor"])

    assert permissions.schools_with(user, "reports.governors") == sorted([a.pk, b.pk])
    assert permissions.roles_for(user, elsewhere) == set()


def test_roles_are_read_once_per_user_object(django_assert_num_queries):
    user = MembershipFactory(roles=["office"]).user
    with django_assert_num_queries(1):
        for _ in range(5):
            permissions.roles_by_school(user)


def test_an_inactive_user_has_no_roles():
    membership = MembershipFactory(roles=["headteacher"])
    membership.user.is_active = False
    assert permissions.roles_for(membership.user, membership.school) == set()


def test_another_schools_record_is_404_and_a_missing_right_is_403():
    mine, theirs = SchoolFactory(), SchoolFactory()
    governor = MembershipFactory(school=mine, roles=["governor"]).user
    teacher = MembershipFactory(school=mine, roles=["staff"]).user
    own_learner, other_learner = LearnerFactory(school=mine), LearnerFactory(school=theirs)
    qs = Learner.objects.all()

    assert permissions.get_object_or_404(qs, teacher, "learners.view", pk=own_learner.pk)
    with pytest.raises(Http404):
        permissions.get_object_or_404(qs, teacher, "learners.view", pk=other_learner.pk)
    with pytest.raises(PermissionDenied):
        permissions.get_object_or_404(qs, governor, "learners.view", pk=own_learner.pk)


def test_scope_follows_a_path_to_the_school():
    mine, theirs = SchoolFactory(), SchoolFactory()
    teacher = MembershipFactory(school=mine, roles=["staff"]).user
    LearnerFactory(school=mine)
    LearnerFactory(school=theirs)
    from people.models import Guardianship
    from tests.factories import GuardianshipFactory

    own = GuardianshipFactory(learner__school=mine)
    GuardianshipFactory(learner__school=theirs)
    scoped = permissions.scope(
        Guardianship.objects.all(), teacher, "learners.view", "learner__school"
    )
    assert list(scoped) == [own]


def test_an_unknown_permission_is_a_programming_error():
    user = MembershipFactory(roles=["staff"]).user
    with pytest.raises(ValueError, match="Unknown permission"):
        permissions.schools_with(user, "devices.deks")
