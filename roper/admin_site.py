from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from simple_history.admin import SimpleHistoryAdmin

from roper.permissions import schools_with, scope


class RoperAdminSite(admin.AdminSite):
    """The Django admin, for people with the admin role only (and superusers set up from
    the command line). Which models they may touch is still Django's model permissions."""

    site_header = "Roper administration"
    site_title = "Roper admin"

    def has_permission(self, request):
        user = request.user
        return user.is_active and (user.is_superuser or bool(schools_with(user, "school.admin")))


class RoperAdminConfig(AdminConfig):
    default_site = "roper.admin_site.RoperAdminSite"


class SchoolScopedAdmin(SimpleHistoryAdmin):
    """An admin page that shows an admin only the records of schools where they hold the
    admin role (a trust's IT admin may hold it in several). Superusers see everything."""

    school_field = "school"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return scope(qs, request.user, "school.admin", self.school_field)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "school" and not request.user.is_superuser:
            from people.models import School

            kwargs["queryset"] = School.objects.filter(
                pk__in=schools_with(request.user, "school.admin")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
