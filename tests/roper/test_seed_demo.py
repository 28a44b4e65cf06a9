import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models

from people.models import Learner, Membership, School

pytestmark = pytest.mark.django_db


def _counts():
    """Rows in every table of every Roper app (history tables included)."""
    from django.apps import apps

    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in {"people", "policies", "devices", "incidents", "reports", "auth"}
        and not m._meta.proxy
        and issubclass(m, models.Model)
    }


def test_seed_demo_twice_gives_the_same_counts():
    call_command("seed_demo", stdout=None)
    first = _counts()
    call_command("seed_demo", stdout=None)
    assert _counts() == first


def test_the_demo_school_has_seven_classes_of_thirty_with_guardians():
    call_command("seed_demo")
    school = School.objects.get(name="Anthony Roper Primary School")
    learners = Learner.objects.filter(school=school)
    assert learners.count() == 210
    assert set(learners.values_list("class_name", flat=True)) == {
        "Acorn",
        "Beech",
        "Cedar",
        "Elm",
        "Hazel",
        "Oak",
        "Willow",
    }
    assert not learners.filter(guardianships__isnull=True).exists()
    assert School.objects.filter(trust=school.trust).count() == 2


def test_every_demo_account_signs_in_with_the_demo_password(client):
    call_command("seed_demo")
    expected = {
        "head": {"headteacher", "dsl"},
        "deputy": {"osl", "deputy_dsl", "leadership"},
        "governor": {"governor"},
        "chair": {"chair_of_governors", "governor"},
        "office": {"office"},
        "teacher": {"staff"},
        "admin": {"admin"},
    }
    school = School.objects.get(name="Anthony Roper Primary School")
    for username, roles in expected.items():
        user = get_user_model().objects.get(username=username)
        assert user.check_password("roper-demo"), username
        assert set(Membership.objects.get(user=user, school=school).roles) == roles
    assert get_user_model().objects.get(username="head").get_full_name() == "Lynda Newton"
