from django.contrib import admin

from people.models import Guardian, Guardianship, Learner, Membership, School, Term, Trust
from roper.admin_site import SchoolScopedAdmin


@admin.register(Trust)
class TrustAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class TermInline(admin.TabularInline):
    model = Term
    extra = 0


@admin.register(School)
class SchoolAdmin(SchoolScopedAdmin):
    school_field = "pk"
    list_display = ["name", "urn", "trust"]
    search_fields = ["name", "urn"]
    inlines = [TermInline]


class GuardianshipInline(admin.TabularInline):
    model = Guardianship
    extra = 0
    autocomplete_fields = ["guardian"]


@admin.register(Learner)
class LearnerAdmin(SchoolScopedAdmin):
    list_display = ["legal_last_name", "legal_first_name", "year_group", "class_name", "school"]
    list_filter = [("school", admin.RelatedOnlyFieldListFilter), "year_group", "active"]
    search_fields = ["legal_last_name", "legal_first_name", "preferred_name", "upn"]
    inlines = [GuardianshipInline]


@admin.register(Guardian)
class GuardianAdmin(SchoolScopedAdmin):
    list_display = ["name", "phone", "email", "school"]
    list_filter = [("school", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "email", "phone"]


@admin.register(Membership)
class MembershipAdmin(SchoolScopedAdmin):
    list_display = ["user", "school", "trust", "get_roles_display"]
    list_filter = [("school", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
