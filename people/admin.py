from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from people.models import (
    AuditEntry,
    Guardian,
    Guardianship,
    Learner,
    Membership,
    MisConnection,
    RoleRequest,
    School,
    Term,
    Trust,
)
from people.services import (
    membership_remove,
    membership_roles_set,
    two_factor_reset,
    user_email_set,
    user_password_set,
)
from roper.admin_site import (
    SchoolScopedAdmin,
    ScopedInline,
    managed_users,
    superuser_only,
)
from roper.roles import Role

User = get_user_model()


@admin.register(Trust)
class TrustAdmin(superuser_only(admin.ModelAdmin)):
    """Trusts, and trust-level roles, are set up by the person who runs the server."""

    search_fields = ["name"]


class TermInline(ScopedInline, admin.TabularInline):
    model = Term
    extra = 0
    admin_may = frozenset({"view", "add", "change"})


@admin.register(School)
class SchoolAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    school_field = "pk"
    admin_may = frozenset({"view", "change"})
    list_display = ["name", "urn", "trust"]
    search_fields = ["name", "urn"]
    inlines = [TermInline]

    def get_readonly_fields(self, request, obj=None):
        # A school does not move itself into another trust.
        return () if request.user.is_superuser else ("trust",)


class GuardianshipInline(ScopedInline, admin.TabularInline):
    model = Guardianship
    extra = 0
    autocomplete_fields = ["guardian"]
    admin_may = frozenset({"view", "add", "change", "delete"})


@admin.register(Learner)
class LearnerAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    admin_may = frozenset({"view", "add", "change"})
    list_display = ["legal_last_name", "legal_first_name", "year_group", "class_name", "school"]
    list_filter = ["school", "year_group", "active"]
    search_fields = ["legal_last_name", "legal_first_name", "preferred_name", "upn"]
    inlines = [GuardianshipInline]


@admin.register(Guardian)
class GuardianAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    admin_may = frozenset({"view", "add", "change"})
    list_display = ["name", "phone", "email", "school"]
    list_filter = ["school"]
    search_fields = ["name", "email", "phone"]


class RolesField(forms.MultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=Role.choices,
            widget=forms.CheckboxSelectMultiple,
            help_text="A role that reads safeguarding records (DSL, deputy DSL, Online Safety "
            "Lead, headteacher, chair of governors) waits for the headteacher's approval "
            "(the chair's, for the headteacher role).",
            **kwargs,
        )


class MembershipForm(forms.ModelForm):
    roles = RolesField()

    class Meta:
        model = Membership
        fields = ["user", "school", "trust", "roles"]


def _report_waiting(request, change_request):
    """Tell the admin their change waits for approval, and whose."""
    if change_request is not None:
        messages.warning(
            request,
            f"{change_request.summary}: waits for approval "
            f"({'the chair' if change_request.role == Role.HEADTEACHER else 'the headteacher'}),"
            " because they read safeguarding records.",
        )


def _report_roles_change(request, change):
    for req in change.requested:
        messages.warning(
            request,
            f"{req.get_role_display()} for {req.user} is waiting for approval "
            f"({'the chair' if req.role == Role.HEADTEACHER else 'the headteacher'}).",
        )


@admin.register(Membership)
class MembershipAdmin(SchoolScopedAdmin, SimpleHistoryAdmin):
    """A person's roles in a school. An admin's change goes through
    `people.services.membership_roles_set`: safeguarding roles wait for approval, and every
    change is audited. Trust-level memberships are for superusers only."""

    form = MembershipForm
    admin_may = frozenset({"view", "add", "change", "delete"})
    list_display = ["user", "school", "trust", "get_roles_display"]
    list_filter = ["school"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]

    def get_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ["user", "school", "trust", "roles"]
        return ["user", "school", "roles"]

    def get_readonly_fields(self, request, obj=None):
        # Moving a membership to another person or school would move its roles unapproved.
        if obj is not None and not request.user.is_superuser:
            return ["user", "school"]
        return []

    def save_model(self, request, obj, form, change):
        if obj.school_id is None:  # a trust membership: a superuser's
            if not request.user.is_superuser:
                raise PermissionDenied
            return super().save_model(request, obj, form, change)
        roles = form.cleaned_data["roles"]
        _report_roles_change(
            request, membership_roles_set(membership=obj, roles=roles, by=request.user)
        )

    def delete_model(self, request, obj):
        membership_remove(membership=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            membership_remove(membership=membership, by=request.user)


class ReadOnlyScopedAdmin(SchoolScopedAdmin):
    """Shown to the school's admin and to superusers; changed by nobody here."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RoleRequest)
class RoleRequestAdmin(ReadOnlyScopedAdmin):
    """Requests are decided by the headteacher (or the chair) in Roper, not here."""

    list_display = ["user", "kind", "role", "school", "status", "requested_by", "requested_at"]
    list_filter = ["status", "kind", "role"]
    exclude = ["new_password"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyScopedAdmin):
    """The audit trail of roles and two-factor resets: read-only for everyone."""

    list_display = ["at", "actor_name", "action", "role", "subject_name", "school"]
    list_filter = ["action"]
    search_fields = ["actor_name", "subject_name"]


class SchoolUserCreationForm(AdminUserCreationForm):
    """A new person, with a membership in (one of) the admin's school(s)."""

    school = forms.ModelChoiceField(queryset=School.objects.none())
    roles = RolesField()


@admin.action(description="Reset two-factor sign-in", permissions=["change"])
def reset_two_factor(modeladmin, request, queryset):
    """The person lost their phone and their backup codes: remove their authenticator, so
    that they set up a new one at their next sign-in. Asks for confirmation first."""
    users = list(queryset)
    if request.POST.get("confirmed") != "yes":
        return TemplateResponse(
            request,
            "admin/people/two_factor_reset_confirm.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": "Reset two-factor sign-in?",
                "users": users,
                "opts": modeladmin.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
    for user in users:
        # The school the notification and the audit entry belong to: the person's (for a
        # school's admin, every membership of a person they manage is in their schools).
        school = School.objects.filter(memberships__user=user).first()
        if school is None:
            messages.error(request, f"{user} belongs to no school: nothing was reset.")
            continue
        waiting = two_factor_reset(user=user, school=school, by=request.user)
        if waiting is not None:
            _report_waiting(request, waiting)
            continue
        messages.success(
            request,
            f"Two-factor sign-in reset for {user}; they set it up again at their next sign-in, "
            "and have been told by email.",
        )
    return None


admin.site.unregister(User)


@admin.register(User)
class SchoolUserAdmin(SchoolScopedAdmin, UserAdmin):
    """People. A school's admin sees and manages only the people who belong to their
    school(s) and nowhere else (`managed_users`), never superusers, and cannot set the
    superuser or staff flag, groups or permissions: superusers come from `createsuperuser`.
    Nobody is deleted here; deactivate instead (it ends their sessions)."""

    admin_may = frozenset({"view", "add", "change"})
    add_form = SchoolUserCreationForm
    actions = [reset_two_factor]
    school_fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Account", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    school_add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "first_name",
                    "last_name",
                    "email",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
        ("In school", {"fields": ("school", "roles")}),
    )

    def scope_queryset(self, request, queryset):
        return queryset.filter(pk__in=managed_users(request.user).values("pk"))

    def get_fieldsets(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.school_add_fieldsets if obj is None else self.school_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ()
        return ("last_login", "date_joined")

    def get_list_display(self, request):
        if request.user.is_superuser:
            return super().get_list_display(request)
        return ("username", "email", "first_name", "last_name", "is_active")

    def get_list_filter(self, request):
        return super().get_list_filter(request) if request.user.is_superuser else ("is_active",)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None and "school" in form.base_fields:
            schools = School.objects.filter(pk__in=self.admin_schools(request))
            form.base_fields["school"].queryset = schools
            if request.user.is_superuser:  # a superuser may add someone to no school yet
                form.base_fields["school"].required = False
                form.base_fields["roles"].required = False
        return form

    def save_model(self, request, obj, form, change):
        if change and "email" in form.changed_data:
            # Through the service: for some people a new email waits for approval.
            _report_waiting(request, user_email_set(user=obj, email=obj.email, by=request.user))
        super().save_model(request, obj, form, change)
        school = form.cleaned_data.get("school") if not change else None
        if school is not None:
            change_ = membership_roles_set(
                membership=Membership(user=obj, school=school),
                roles=form.cleaned_data["roles"],
                by=request.user,
            )
            _report_roles_change(request, change_)

    def user_change_password(self, request, id, form_url=""):
        """Django's page, with the change made through `user_password_set`: for someone who
        reads safeguarding records, a new password set by the admin waits for approval."""
        user = self.get_object(request, unquote(id))
        if request.method != "POST" or user is None or not self.has_change_permission(request):
            return super().user_change_password(request, id, form_url)
        form = self.change_password_form(user, request.POST)
        usable = form.is_valid() and form.cleaned_data["set_usable_password"]
        if not form.is_valid() or not (usable or "unset-password" in request.POST):
            return super().user_change_password(request, id, form_url)  # shows the errors
        waiting = user_password_set(
            user=user, password=form.cleaned_data["password1"] if usable else None, by=request.user
        )
        if waiting is not None:
            _report_waiting(request, waiting)
        else:
            self.log_change(request, user, "Changed password.")
            update_session_auth_hash(request, user)  # an admin's own: they stay signed in
            messages.success(
                request,
                "Password changed." if usable else "Password-based authentication was disabled.",
            )
        return redirect("admin:auth_user_change", user.pk)


class MisConnectionForm(forms.ModelForm):
    """The token is written, never shown back: left blank on a change, it is kept."""

    token = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="The API token Wonde issued for this school. Not shown again once saved; "
        "leave blank to keep the one saved.",
    )

    class Meta:
        model = MisConnection
        fields = ["school", "provider", "external_id", "token", "enabled"]

    def clean_token(self):
        token = self.cleaned_data.get("token", "")
        if not token:
            if self.instance.pk and self.instance.token:
                return self.instance.token
            raise forms.ValidationError("Enter the token.")
        return token


@admin.register(MisConnection)
class MisConnectionAdmin(SchoolScopedAdmin):
    form = MisConnectionForm
    admin_may = frozenset({"view", "add", "change", "delete"})
    list_display = ["school", "provider", "external_id", "enabled", "last_synced_at"]
    readonly_fields = ["last_synced_at", "last_outcome"]
