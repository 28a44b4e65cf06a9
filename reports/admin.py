from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from reports.models import ReportSettings
from roper.admin_site import SchoolScopedAdmin


@admin.register(ReportSettings)
class ReportSettingsAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    admin_may = frozenset({"view", "add", "change"})
    list_display = ["school", "suppression_threshold"]
