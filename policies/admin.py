from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from policies.concerns import without_concealed
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


class ReadOnlyAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    school_field = "policy__school"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(PolicyVersion, ReadOnlyAdmin)


@admin.register(ReviewTrigger)
class ReviewTriggerAdmin(ReadOnlyAdmin):
    def scope_queryset(self, request, queryset):
        """A trigger opened from a concern concealed from the admin (one naming them) is not
        theirs to know of, as on the policy page (DESIGN.md, "Secrecy is one rule"): not
        listed, and its pages (change, history) are not found."""
        queryset = super().scope_queryset(request, queryset)
        return without_concealed(queryset, request.user, "concern_number")


@admin.register(TrainingSettings)
class TrainingSettingsAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    admin_may = frozenset({"view", "add", "change"})
    list_display = ["school", "refresher_months"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    list_display = ["title", "held_on", "topic", "school"]
    list_filter = ["school", "topic"]
