"""The admin edits categories (the routing rules). Concerns are not in the admin: the admin
role does not read safeguarding records (DESIGN.md, roles table)."""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from incidents.models import Category, Referral
from roper.admin_site import SchoolScopedAdmin
from roper.roles import Role


class CategoryForm(forms.ModelForm):
    informed_roles = forms.MultipleChoiceField(
        choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    required_referrals = forms.MultipleChoiceField(
        choices=Referral.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Category
        fields = [
            "school",
            "key",
            "name",
            "guidance",
            "owner_role",
            "informed_roles",
            "required_referrals",
            "referral_note",
            "deadline_amount",
            "deadline_unit",
            "is_online",
            "allows_images",
            "no_images_reason",
            "is_staff_case",
            "is_about_head",
            "is_immediate_danger",
            "active",
            "order",
        ]


@admin.register(Category)
class CategoryAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    form = CategoryForm
    admin_may = frozenset({"view", "add", "change"})
    list_display = ["name", "school", "owner_role", "deadline_amount", "deadline_unit", "active"]
    list_filter = [("school", admin.RelatedOnlyFieldListFilter), "owner_role", "active"]
    search_fields = ["name", "key"]
