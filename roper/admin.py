from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from axes.models import AccessFailureLog as AxesFailureLog
from axes.models import AccessLog as AxesAccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from roper.admin_site import (
    SchoolScopedAdmin,
    managed_users,
    reregister_for_superusers,
    superuser_only,
)
from roper.models import AccessLog, Notification

# Groups and permissions are how a superuser would widen someone's reach; sign-in history,
# second-factor secrets: none of it is the school admin's (a two-factor reset is an action on
# People; an unlock is Access attempts below).
reregister_for_superusers(
    admin.site, Group, AxesAccessLog, AxesFailureLog, TOTPDevice, StaticDevice
)


@admin.register(AccessLog)
class AccessLogAdmin(superuser_only(admin.ModelAdmin)):
    """Read-only: the access log is evidence and is never changed. It says who read which
    concern, so the admin role (which does not read safeguarding records) does not see it."""

    list_display = ["at", "user_name", "action", "what", "school"]
    list_filter = ["action", "school"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(superuser_only(admin.ModelAdmin)):
    """Email delivery at a glance: what failed and why, for whoever runs the server (mail is
    its EMAIL_URL). Not the school admin's: who was notified and when would show them a
    concern about themself as a notice to the DSL (DESIGN.md, "Secrecy is one rule")."""

    list_display = ["created_at", "recipient", "title", "urgency", "emailed_at", "email_error"]
    list_filter = [("emailed_at", admin.EmptyFieldListFilter), "urgency"]
    search_fields = ["recipient__username", "email_error"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recipient")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(SchoolScopedAdmin, AxesAccessAttemptAdmin):
    """Locked-out accounts. Deleting an attempt unlocks the account at once; a school's
    admin sees, and unlocks, only the people they manage."""

    admin_may = frozenset({"view", "delete"})

    def scope_queryset(self, request, queryset):
        return queryset.filter(username__in=managed_users(request.user).values("username"))
