"""The admin edits categories (the routing rules). Concerns are not in the admin: the admin
role does not read safeguarding records (DESIGN.md, roles table).

What a category is about (an allegation about staff, about the headteacher) decides who may
ever read its concerns: it is not the admin role's to change (read-only for them), and the
roles it goes to must be those its kind allows (`Category.clean`, which routing keeps to as
well). Every change is kept with who made it (the category's history)."""

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
    #: What the category is about: who may read its concerns follows from it.
    nature_fields = ("is_staff_case", "is_about_head")

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return readonly
        return (*readonly, *self.nature_fields)
