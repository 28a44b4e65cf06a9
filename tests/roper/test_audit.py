import pytest
from django.contrib.admin.sites import site
from django.urls import reverse

from roper.errors import Refused
from roper.models import AccessLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(world):
    return AccessLog.record_access(
        user=world.users["dsl"], obj=world.learner, school=world.school, what="chronology"
    )


def test_the_access_log_outlives_the_user_who_viewed(entry, world):
    world.users["dsl"].delete()
    entry.refresh_from_db()
    assert entry.user is None
    assert entry.user_name == world.users["dsl"].get_full_name()
    assert entry.what == "chronology"


def test_an_access_log_entry_cannot_be_changed_or_deleted(entry):
    entry.what = "nothing to see"
    with pytest.raises(Refused):
        entry.save()
    with pytest.raises(Refused):
        entry.delete()
    assert AccessLog.objects.get(pk=entry.pk).what == "chronology"


def test_the_admin_cannot_add_change_or_delete_access_log_entries(entry, rf, world):
    admin_user = world.users["admin"]
    admin_user.is_superuser = True  # even a superuser
    request = rf.get("/")
    request.user = admin_user
    model_admin = site._registry[AccessLog]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)


def test_an_admin_cannot_open_concerns_chronologies_or_evidence(world, as_user):
    client = as_user(world.users["admin"])
    assert client.get(reverse("incidents:dashboard")).status_code == 403
    assert client.get(reverse("incidents:chronology", args=[world.learner.pk])).status_code == 403
    assert "incidents" not in {
        m._meta.app_label for m in site._registry if m._meta.model_name == "concern"
    }
