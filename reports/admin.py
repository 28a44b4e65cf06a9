from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from reports.models import ReportSettings


@admin.register(ReportSettings)
class ReportSettingsAdmin(SimpleHistoryAdmin):
    list_display = ["school", "suppression_threshold"]
