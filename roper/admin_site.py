"""The Django admin for a school's IT admin: the school's accounts and settings, and nothing
else (DESIGN.md, "Secrecy is one rule").

What an admin (the admin role, not a superuser) may do on a page is said by the page itself
(`SchoolScopedAdmin.admin_may`), never by Django's model permissions: those are global across
schools and could be handed out through groups. Every page an admin may open is a
`SchoolScopedAdmin`, showing only the records of the schools where they hold the admin role;
every other page is `superuser_only`. Superusers exist only from the command line
(`createsuperuser`), for the person who runs the server, and keep Django's own rules.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.utils import unquote
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme

from roper.permissions import membership_model, school_model, schools_with

ADMIN = "school.admin"


class RoperAdminSite(admin.AdminSite):
    """The Django admin, for people with the admin role only (and superusers set up from
    the command line)."""

    site_header = "Roper administration"
    site_title = "Roper admin"

    def has_permission(self, request):
        user = request.user
        return user.is_active and (user.is_superuser or bool(schools_with(user, ADMIN)))

    @method_decorator(login_not_required)
    def login(self, request, extra_context=None):
        """Everyone signs in at Roper's own sign-in page, with their second factor: Django's
        admin form would accept only the staff flag, which no school admin has."""
        # Here, not at the top: this module is loaded (INSTALLED_APPS) before the models.
        from django.contrib.auth.views import redirect_to_login

        next_url = request.GET.get(REDIRECT_FIELD_NAME) or reverse(
            "admin:index", current_app=self.name
        )
        if not request.user.is_authenticated:
            return redirect_to_login(next_url, settings.LOGIN_URL)
        if not self.has_permission(request):
            raise PermissionDenied  # signed in, but not an admin: no redirect loop
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(next_url)


class RoperAdminConfig(AdminConfig):
    default_site = "roper.admin_site.RoperAdminSite"


def managed_users(user):
    """The users a school's admin manages: not superusers, with at least one membership, and
    every membership in a school (not a trust) where `user` holds the admin role. Anyone who
    also belongs elsewhere is someone else's to manage."""
    Membership = membership_model()
    schools = schools_with(user, ADMIN)
    elsewhere = Membership.objects.filter(Q(school__isnull=True) | ~Q(school_id__in=schools))
    return (
        get_user_model()
        .objects.filter(
            is_superuser=False,
            pk__in=Membership.objects.filter(school_id__in=schools).values("user_id"),
        )
        .exclude(pk__in=elsewhere.values("user_id"))
    )


class AdminRolePermissions:
    """Permissions of a page (or an inline) for a non-superuser: `admin_may` lists what the
    admin role may do there, in the schools where they hold it."""

    #: Any of "view", "add", "change", "delete".
    admin_may: frozenset[str] = frozenset({"view"})

    def _admin_may(self, request, action):
        return action in self.admin_may and bool(schools_with(request.user, ADMIN))

    def has_module_permission(self, request):
        if request.user.is_superuser:
            return super().has_module_permission(request)
        return bool(self.admin_may) and bool(schools_with(request.user, ADMIN))

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self._admin_may(request, "view") or self._admin_may(request, "change")

    def has_add_permission(self, request, *args):
        if request.user.is_superuser:
            return super().has_add_permission(request, *args)
        return self._admin_may(request, "add")

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self._admin_may(request, "change")

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return self._admin_may(request, "delete")


class ScopedChoices:
    """The records a form on an admin page offers and accepts: schools where the admin holds
    the role, the accounts they manage, and any other school's record only of those schools.
    A choice outside them is refused as not one of the choices, whatever id is posted (an
    autocomplete widget narrows only what it offers)."""

    def admin_schools(self, request) -> list[int]:
        return schools_with(request.user, ADMIN)

    def _choices(self, request, model):
        """The queryset to choose `model`'s rows from, or None when it needs no narrowing."""
        if model is school_model():
            return model.objects.filter(pk__in=self.admin_schools(request))
        if model is get_user_model():
            return managed_users(request.user)
        if any(f.name == "school" and f.is_relation for f in model._meta.fields):
            return model._default_manager.filter(school__in=self.admin_schools(request))
        return None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            choices = self._choices(request, db_field.related_model)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            choices = self._choices(request, db_field.related_model)
            if choices is not None:
                kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class SchoolScopedAdmin(ScopedChoices, AdminRolePermissions, admin.ModelAdmin):
    """An admin page that shows an admin only the records of schools where they hold the
    admin role (a trust's IT admin may hold it in several). Superusers see everything.

    Combine with `SimpleHistoryAdmin` after it (`class X(SchoolScopedAdmin, SimpleHistoryAdmin)`)
    for a model with history: its history pages are scoped the same way, and reverting to an
    old version (which would bypass every rule here) is for superusers only."""

    school_field = "school"

    def scope_queryset(self, request, queryset):
        return queryset.filter(**{f"{self.school_field}__in": self.admin_schools(request)})

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return self.scope_queryset(request, qs)

    def get_list_filter(self, request):
        """A plain filter on a related school would list every school by name."""
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return [
            (f, admin.RelatedOnlyFieldListFilter)
            if isinstance(f, str) and f == self.school_field
            else f
            for f in filters
        ]

    def _in_scope_or_404(self, request, object_id):
        """Another school's record is "not found", as everywhere in Roper."""
        if request.user.is_superuser:
            return
        try:
            found = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            found = False
        if not found:
            raise Http404

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        if request.method == "POST" and not request.user.is_superuser:
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def has_change_history_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_history_permission(request, obj)


class ScopedInline(ScopedChoices, AdminRolePermissions):
    """An inline on a `SchoolScopedAdmin` page; its rows belong to the parent's record, and
    what they name is of the admin's schools (`ScopedChoices`)."""


class SuperuserOnly:
    """A page only superusers see: the admin role does not read these records."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request, *args):
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.none()


def superuser_only(admin_class):
    """`admin_class`, for superusers only."""
    return type(admin_class.__name__, (SuperuserOnly, admin_class), {})


def reregister_for_superusers(site, *models):
    """Replace the (third-party) admin of each model with a superuser-only one."""
    for model in models:
        admin_class = type(site._registry[model])
        site.unregister(model)
        site.register(model, superuser_only(admin_class))
