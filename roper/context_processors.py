from django.utils.functional import SimpleLazyObject

from roper.navigation import nav_for
from roper.notifications import unread_count
from roper.permissions import roles_for, schools_of
from roper.sessions import idle_limit


def roper(request):
    """Per-request values for base.html. Each is lazy and computed at most once, so a page
    that does not show one pays nothing for it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    school = request.school
    return {
        "school": school,
        "nav": SimpleLazyObject(lambda: nav_for(user, school)),
        "my_roles": SimpleLazyObject(lambda: sorted(roles_for(user, school))),
        "my_schools": schools_of(user),
        # Seconds of inactivity before sign-out, for the warning before it (WCAG 2.2.1).
        "idle_seconds": SimpleLazyObject(lambda: idle_limit(user)),
        "unread_notifications": SimpleLazyObject(lambda: unread_count(user)),
    }
