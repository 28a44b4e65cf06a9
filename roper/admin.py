from django.contrib import admin

from roper.models import AccessLog, Notification
from roper.permissions import scope


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only: the access log is evidence and is never changed."""

    list_display = ["at", "user_name", "action", "what", "school"]
    list_filter = ["action", "school"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Email delivery at a glance: what failed and why. Titles never carry case detail."""

    list_display = ["created_at", "recipient", "title", "urgency", "emailed_at", "email_error"]
    list_filter = [("emailed_at", admin.EmptyFieldListFilter), "urgency"]
    search_fields = ["recipient__username", "email_error"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("recipient")
        if request.user.is_superuser:
            return qs
        return scope(qs, request.user, "school.admin")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
