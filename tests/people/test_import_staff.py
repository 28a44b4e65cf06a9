"""Staff accounts from a staff export: nobody gets a role from a file unless the admin
chooses one when applying, and never a safeguarding role; another school's account is not
taken over."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from people.models import AuditEntry, ImportRun, Membership
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

STAFF = (
    "Legal Forename,Legal Surname,Work Email\n"
    "Nia,Okafor,nia.okafor@school.example\n"
    "Sam,Lee,sam.lee@school.example\n"
    "Bad,Email,not-an-email\n"
)


@pytest.fixture
def apply(django_capture_on_commit_callbacks):
    def press(client, run, role=""):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("people:import_apply", args=[run.pk]), {"role": role}, follow=True
            )

    return press


def _preview(client, text=STAFF) -> ImportRun:
    response = client.post(
        reverse("people:import"),
        {"kind": "staff", "file": SimpleUploadedFile("staff.csv", text.encode())},
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    return ImportRun.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])


def test_new_staff_get_the_role_the_admin_chooses_and_no_password(world, as_user, apply):
    client = as_user(world.users["admin"])
    run = _preview(client)
    page = client.get(reverse("people:import_run", args=[run.pk])).content.decode()
    assert "2 staff accounts to create, only if you choose a role" in page
    assert "Line 4: email &#x27;not-an-email&#x27; is not an email address" in page

    apply(client, run, role="staff")

    nia = User.objects.get(email="nia.okafor@school.example")
    assert (nia.first_name, nia.last_name, nia.has_usable_password()) == ("Nia", "Okafor", False)
    assert Membership.objects.get(user=nia, school=world.school).roles == ["staff"]
    assert AuditEntry.objects.filter(subject=nia, action="role_granted", role="staff").exists()


def test_without_a_chosen_role_no_account_is_made(world, as_user, apply):
    client = as_user(world.users["admin"])
    apply(client, _preview(client))
    assert not User.objects.filter(email="nia.okafor@school.example").exists()


def test_a_safeguarding_role_cannot_be_given_from_a_file(world, as_user, apply):
    client = as_user(world.users["admin"])
    run = _preview(client)
    page = apply(client, run, role="dsl").content.decode()
    assert "Staff or Office role only" in page
    run.refresh_from_db()
    assert run.status == ImportRun.Status.PREVIEW
    assert not User.objects.filter(email="nia.okafor@school.example").exists()


def test_a_member_s_name_is_updated_and_their_roles_left_alone(world, as_user, apply):
    teacher = world.users["teacher"]
    teacher.email = "Teacher@School.example"
    teacher.save()
    client = as_user(world.users["admin"])
    run = _preview(client, "Forename,Surname,Email\nTia,Persona-Jones,teacher@school.example\n")
    assert run.plan["changed"][0]["fields"] == ["first_name", "last_name"]
    apply(client, run, role="office")
    teacher.refresh_from_db()
    assert (teacher.first_name, teacher.last_name) == ("Tia", "Persona-Jones")
    assert Membership.objects.get(user=teacher, school=world.school).roles == ["staff"]


def test_another_school_s_account_is_not_taken_over(world, as_user, apply):
    other = MembershipFactory(school=world.other_school, roles=["staff"]).user
    other.email = "elsewhere@school.example"
    other.save()
    client = as_user(world.users["admin"])
    run = _preview(client, f"Forename,Surname,Email\nX,Y,{other.email}\n")
    assert "has an account this school does not manage" in run.plan["problems"][0]["reason"]
    apply(client, run, role="staff")
    other.refresh_from_db()
    assert other.first_name != "X"
    assert not Membership.objects.filter(user=other, school=world.school).exists()
