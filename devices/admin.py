from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from devices.models import (
    Confiscation,
    CurriculumUseRequest,
    CustodyEvent,
    DayReconciliation,
    DeskEntry,
    DeviceSettings,
    Handover,
    LearnerExemption,
    ParentContactException,
    StaffException,
)
from roper.admin_site import SchoolScopedAdmin, superuser_only

# Handovers, confiscations and custody, exceptions and relationship declarations are records
# the admin role does not read (a confiscation may belong to a concern): superusers only.


class ReadOnlyAdmin(superuser_only(admin.ModelAdmin)):
    """Evidence: visible in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CustodyEventInline(admin.TabularInline):
    model = CustodyEvent
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CustodyEvent)
class CustodyEventAdmin(ReadOnlyAdmin):
    list_display = ["confiscation", "sequence", "state", "at", "by"]
    list_filter = ["state"]


@admin.register(Confiscation)
class ConfiscationAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["learner", "device", "state", "confiscated_at", "school"]
    list_filter = ["state", "school"]
    inlines = [CustodyEventInline]


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["learner", "school_day", "in_at", "out_at", "undone_at", "school"]
    list_filter = ["school", "school_day"]


@admin.register(DeskEntry)
class DeskEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "handover", "by", "undone"]


@admin.register(DayReconciliation)
class DayReconciliationAdmin(ReadOnlyAdmin):
    list_display = ["school_day", "school", "reconciled_by", "reconciled_at"]


for model in (StaffException, ParentContactException, LearnerExemption, CurriculumUseRequest):
    admin.site.register(
        model, superuser_only(SimpleHistoryAdmin), list_display=["__str__", "status", "school"]
    )


@admin.register(DeviceSettings)
class DeviceSettingsAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    admin_may = frozenset({"view", "add", "change"})
    list_display = ["school", "end_of_day_at", "confiscation_limit_days"]
