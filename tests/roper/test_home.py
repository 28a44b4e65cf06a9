import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _nav_labels(html):
    import re

    nav = html.split('id="main-nav"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'class="nav-link[^"]*"[^>]*>([^<]+)</a>', nav)


def test_the_navigation_shows_only_what_the_role_may_use(world, as_user):
    teacher_nav = _nav_labels(as_user(world.users["teacher"]).get(reverse("home")).text)
    assert "Learners" in teacher_nav
    assert "Admin" not in teacher_nav

    admin_page = as_user(world.users["admin"]).get(reverse("home"), follow=True).text
    assert "Admin" in _nav_labels(admin_page)
    assert "Learners" not in _nav_labels(admin_page)


def test_a_user_in_two_schools_can_switch_and_sees_the_other_schools_roles(world, as_user):
    from tests.factories import MembershipFactory

    MembershipFactory(user=world.users["teacher"], school=world.other_school, roles=["admin"])
    client = as_user(world.users["teacher"])
    assert "Learners" in _nav_labels(client.get(reverse("home")).text)

    client.post(reverse("switch_school"), {"school": world.other_school.pk})
    page = client.get(reverse("home"), follow=True).text
    assert "Other Primary School" in page
    assert "Learners" not in _nav_labels(page)


def test_switching_to_a_school_you_do_not_belong_to_is_refused(world, as_user):
    client = as_user(world.users["teacher"])
    client.post(reverse("switch_school"), {"school": world.other_school.pk})
    page = client.get(reverse("home"), follow=True).text
    assert "Anthony Roper Primary School" in page


def test_a_user_with_no_school_is_told_what_to_do(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert "does not belong to a school yet" in client.get(reverse("home")).text


def test_signing_in_with_a_wrong_password_says_so(client, world):
    user = world.users["teacher"]
    user.set_password("right-password-123")
    user.save()
    response = client.post(reverse("login"), {"username": "teacher", "password": "wrong"})
    assert "did not match" in response.text
    response = client.post(
        reverse("login"), {"username": "teacher", "password": "right-password-123"}
    )
    assert response.status_code == 302


def test_notifications_are_listed_and_marked_read(world, as_user):
    from roper.models import Notification

    user = world.users["dsl"]
    note = Notification.objects.create(
        school=world.school, recipient=user, title="A new concern to triage", url="/learners/"
    )
    client = as_user(user)
    assert ">1<" in client.get(reverse("notifications")).text.replace(" ", "")  # the badge
    response = client.post(reverse("notification_read", args=[note.pk]))
    assert response.url == "/learners/"
    note.refresh_from_db()
    assert note.read_at is not None
