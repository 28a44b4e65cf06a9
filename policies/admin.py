from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from policies.models import Policy, PolicyVersion, ReviewTrigger, TrainingSession, TrainingSettings
from roper.admin_site import SchoolScopedAdmin


@admin.register(Policy)
class PolicyAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    """Policies are written, reviewed and ratified in Roper itself; the admin only shows them."""

    list_display = ["title", "school", "status", "listed_only", "next_review_on"]
    list_filter = ["school", "status", "listed_only"]
    search_fields = ["title"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PolicyVersion, ReviewTrigger)
class ReadOnlyAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    school_field = "policy__school"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TrainingSettings)
class TrainingSettingsAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    admin_may = frozenset({"view", "add", "change"})
    list_display = ["school", "refresher_months"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "held_on", "topic", "school"]
    list_filter = ["school", "topic"]
