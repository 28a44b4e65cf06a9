import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken

from devices import services as devices
from devices.models import Confiscation, CustodyState, Decision, Handover, StaffException
from incidents.models import Category, Concern, Entry
from incidents.services import concern_record, concern_report
from people.demo import DEMO_BACKUP_CODES, DEMO_PASSWORD
from people.models import Learner, Membership, School
from policies.models import Policy
from policies.services import acknowledgement_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]

#: The demo accounts that sign in with a second factor (README).
TWO_FACTOR_ACCOUNTS = ["head", "deputy", "chair", "admin", "darent"]


def _counts():
    """Rows in every table of every Roper app (history tables included)."""
    from django.apps import apps

    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label
        in {"people", "policies", "devices", "conduct", "incidents", "reports", "transfers", "auth"}
        and not m._meta.proxy
        and issubclass(m, models.Model)
    }


def _users():
    return {u.username: u for u in get_user_model().objects.all()}


def test_seed_demo_again_changes_nothing():
    first = _counts()
    call_command("seed_demo", stdout=None)
    assert _counts() == first


def test_the_demo_school_has_seven_classes_of_thirty_with_guardians():
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


def _sign_in_with_backup_code(client, username, code) -> int:
    client.logout()
    client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    return client.post(reverse("two_factor_verify"), {"token": code}).status_code


def _use_the_demo(client):
    """What a morning of trying the demo does to it, through the app's own views and services."""
    users = _users()
    school = School.objects.get(urn="900001")
    teacher, head, office = users["teacher"], users["head"], users["office"]

    # Everyone with two-factor signs in with a backup code; each code then works no more.
    for username in TWO_FACTOR_ACCOUNTS:
        for code in DEMO_BACKUP_CODES[:3]:
            assert _sign_in_with_backup_code(client, username, code) == 302, (username, code)
    assert _sign_in_with_backup_code(client, "head", DEMO_BACKUP_CODES[0]) == 400

    # The teacher files a second relationship declaration, and the head decides the first.
    client.force_login(teacher)
    response = client.post(
        reverse("devices:exception_new", args=["staff"]),
        {"kind": StaffException.Kind.RELATIONSHIP, "details": "My neighbour's son is in Oak."},
    )
    assert response.status_code == 302
    for declaration in StaffException.objects.filter(requested_by=teacher):
        declaration.decide(by=head, approve=True, reason="Noted; no contact outside school.")

    # Concerns reported and triaged; every demo concern dealt with.
    category = Category.objects.get(school=school, key="social_media")
    concern_report(
        school=school,
        reporter=teacher,
        data={
            "category": category,
            "what_happened": "A new one.",
            "where": "Hall",
            "happened_at": timezone.now(),
        },
        involvements=[],
    )
    for concern in Concern.objects.filter(school=school, status=Concern.Status.NEW):
        concern_record(
            concern=concern, by=head, kind=Entry.Kind.TRIAGE, fields={"risk_level": "low"}
        )

    # Confiscations made, secured and released to a parent on file.
    learner = Confiscation.objects.filter(school=school).first().learner
    devices.confiscation_record(
        learner=learner, device="Red phone", reason="Lesson", by=teacher, held_at="Drawer"
    )
    for confiscation in Confiscation.objects.filter(school=school).open():
        if confiscation.state == CustodyState.CONFISCATED:
            devices.confiscation_move(
                confiscation=confiscation, to_state=CustodyState.SECURED, by=office, location="Safe"
            )
        devices.confiscation_move(
            confiscation=Confiscation.objects.get(pk=confiscation.pk),
            to_state=CustodyState.RELEASED,
            by=office,
            guardian=confiscation.learner.guardianships.filter(may_collect=True)[0].guardian,
            id_checked=True,
        )

    # A phone handed in and collected; the policy acknowledged; a password changed and
    # roles edited in the admin.
    oak = Learner.objects.filter(school=school, class_name="Beech").first()
    devices.handover_check_in(learner=oak, by=office)
    devices.handover_check_out(learner=oak, by=office)
    policy = Policy.objects.get(school=school, slug="mobile-technology-and-social-media-policy")
    acknowledgement_record(version=policy.current_version, user=teacher)
    teacher.set_password("my-own-password")
    teacher.save()
    Membership.objects.filter(user=office, school=school).update(roles=["staff"])


def test_seed_demo_restores_the_demo_after_it_has_been_used(client, settings):
    settings.TWO_FACTOR_ENFORCED = True
    school = School.objects.get(urn="900001")
    seeded_concerns = set(
        Concern.objects.filter(school=school, status=Concern.Status.NEW).values_list(
            "what_happened", flat=True
        )
    )
    seeded_held = set(
        Confiscation.objects.filter(school=school).open().values_list("learner", "device", "state")
    )
    teacher = _users()["teacher"]
    declaration = StaffException.objects.get(requested_by=teacher)

    _use_the_demo(client)
    call_command("seed_demo", stdout=None)

    # Every demo backup code works again, for every two-factor account.
    for username in TWO_FACTOR_ACCOUNTS:
        tokens = StaticToken.objects.filter(
            device__user__username=username, device__name="Demo backup codes"
        )
        assert sorted(tokens.values_list("token", flat=True)) == DEMO_BACKUP_CODES, username
    assert _sign_in_with_backup_code(client, "head", DEMO_BACKUP_CODES[0]) == 302
    # The demo password and roles are back.
    users = _users()
    assert users["teacher"].check_password(DEMO_PASSWORD)
    assert Membership.objects.get(user=users["office"], school=school).roles == ["office"]
    # The demo's own records are as seeded: its declaration awaits a decision again, its
    # concerns await triage, its devices are held. What users added is still there.
    declaration.refresh_from_db()
    assert declaration.status == Decision.PENDING and declaration.decided_by is None
    assert StaffException.objects.filter(requested_by=teacher).count() == 2
    assert (
        set(
            Concern.objects.filter(school=school, status=Concern.Status.NEW).values_list(
                "what_happened", flat=True
            )
        )
        == seeded_concerns
    )
    held = Confiscation.objects.filter(school=school).exclude(state=CustodyState.RELEASED)
    assert set(held.values_list("learner", "device", "state")) == seeded_held
    assert Handover.objects.filter(school=school, out_at__isnull=False).exists()


def test_the_readme_lists_every_demo_account():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    listed = set(re.findall(r"^\| `([a-z]+)` \|", readme, re.M))
    assert set(_users()) <= listed, f"missing from the README: {set(_users()) - listed}"
