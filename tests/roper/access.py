from django.urls import reverse

from roper.models import Notification
from tests.access import Case, everyone, only


def _own_notification(world, user):
    note = Notification.objects.create(
        school=world.school, recipient=user, title="Something to look at", url="/"
    )
    return reverse("notification_read", args=[note.pk])


def _someone_elses_notification(world, user):
    note = Notification.objects.create(
        school=world.school, recipient=world.users["dsl"], title="Not yours", url="/"
    )
    return reverse("notification_read", args=[note.pk])


ACCESS = {
    # Home is a page, or the landing page of the role (DSL → dashboard, office → desk).
    "home": Case(
        lambda w, u: reverse("home"),
        only("teacher", "leadership", "admin", ok=200, denied=302),
    ),
    # A signed-in user opening the sign-in page is sent home.
    "login": Case(lambda w, u: reverse("login"), everyone(302), login_required=False),
    "logout": Case(lambda w, u: reverse("logout"), everyone(302), method="post"),
    "switch_school": Case(
        lambda w, u: reverse("switch_school"), everyone(302), method="post", data={"school": "1"}
    ),
    "notifications": Case(lambda w, u: reverse("notifications"), everyone(200)),
    "notification_read": Case(_own_notification, everyone(302), method="post"),
    "notification_read#not_mine": Case(
        _someone_elses_notification, only("dsl", ok=302, denied=404), method="post"
    ),
    "notification_read_all": Case(
        lambda w, u: reverse("notification_read_all"), everyone(302), method="post"
    ),
    "session_extend": Case(lambda w, u: reverse("session_extend"), everyone(204), method="post"),
    # Anyone may report a concern, so anyone may keep a draft of one; an unknown form is a 404.
    "draft_save": Case(
        lambda w, u: reverse("draft_save", args=["concern"]),
        everyone(200),
        method="post",
        data={"what_happened": "a draft"},
    ),
    "draft_discard": Case(
        lambda w, u: reverse("draft_discard", args=["concern"]), everyone(302), method="post"
    ),
    "healthz": Case(lambda w, u: reverse("healthz"), everyone(200), login_required=False),
    "admin:index": Case(lambda w, u: reverse("admin:index"), only("admin", denied=302)),
}

ACCESS.update(
    {
        # Two-factor pages are each person's own; nothing in them belongs to a school.
        "two_factor_verify": Case(lambda w, u: reverse("two_factor_verify"), everyone(200)),
        "two_factor_setup": Case(lambda w, u: reverse("two_factor_setup"), everyone(200)),
        "security": Case(lambda w, u: reverse("security"), everyone(200)),
        # Not verified with a code in this session: sent back to the security page.
        "backup_codes": Case(lambda w, u: reverse("backup_codes"), everyone(302), method="post"),
    }
)


def _batch(world):
    from roper.models import RetentionBatch

    return RetentionBatch.objects.create(
        school=world.school, rule="handovers", month="2026-11-01", object_ids=[], count=0
    )


ACCESS.update(
    {
        "retention": Case(
            lambda w, u: reverse("retention"), only("dsl", "deputy_dsl", outsider=200)
        ),
        "retention_decide": Case(
            lambda w, u: reverse("retention_decide", args=[_batch(w).pk]),
            only("dsl", "deputy_dsl", ok=302, outsider=404),
            method="post",
            data={"action": "keep", "note": "Inquiry"},
        ),
        "retention_hold": Case(
            lambda w, u: reverse("retention_hold", args=[_batch(w).pk]),
            only("dsl", "deputy_dsl", ok=302, outsider=404),
            method="post",
            data={"object_id": "1", "reason": "Inquiry"},
        ),
    }
)


def _reset_link(world, user):
    """A link with a token that is not right: the page says so (a good link redirects once to
    the form, tests/roper/test_passwords.py)."""
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("password_reset_confirm", args=[uid, "cz1xyz-0123456789abcdef"])


ACCESS.update(
    {
        # Each person's own password.
        "password_change": Case(lambda w, u: reverse("password_change"), everyone(200)),
        # Forgotten password: public, like the sign-in page; they sign no one in.
        "password_reset": Case(
            lambda w, u: reverse("password_reset"), everyone(200), login_required=False
        ),
        "password_reset_done": Case(
            lambda w, u: reverse("password_reset_done"), everyone(200), login_required=False
        ),
        "password_reset_confirm": Case(_reset_link, everyone(200), login_required=False),
        "password_reset_complete": Case(
            lambda w, u: reverse("password_reset_complete"), everyone(200), login_required=False
        ),
    }
)
