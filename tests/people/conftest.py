import pytest
from django.contrib.auth.models import Permission


@pytest.fixture
def school_admin(world):
    """School A's IT admin at worst: with the staff flag and every model permission Django
    has (an older demo gave some). What the admin may do must not depend on either."""
    user = world.users["admin"]
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.all())
    return user


@pytest.fixture
def admin_client(client, school_admin):
    client.force_login(school_admin)
    return client
