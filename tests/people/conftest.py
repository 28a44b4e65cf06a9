import pytest
from django.contrib.auth.models import Permission


@pytest.fixture
def school_admin(world):
    """School A's IT admin as `seed_demo` makes one (staff flag), and at worst: holding every
    model permission Django has. What the admin may do must not depend on either."""
    user = world.users["admin"]
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.all())
    return user


@pytest.fixture
def admin_client(client, school_admin):
    client.force_login(school_admin)
    return client
