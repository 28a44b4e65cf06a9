from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from roper.admin_site import SchoolScopedAdmin, reregister_for_superusers, superuser_only
from sso import services
from sso.models import IdentityProvider, SignInRequest

# Roper's providers are IdentityProvider rows, its addresses the users' own, and no token is
# kept: allauth's own pages would only confuse. Linked identities stay for whoever runs the
# server (to unlink one).
for model in (SocialApp, SocialToken, EmailAddress):
    admin.site.unregister(model)
reregister_for_superusers(admin.site, SocialAccount)


class IdentityProviderForm(forms.ModelForm):
    secret = forms.CharField(
        label="Client secret",
        widget=forms.PasswordInput(render_value=True),
        help_text="From the app registration (Entra) or the OAuth client (Google).",
    )

    class Meta:
        model = IdentityProvider
        fields = [
            "kind",
            "school",
            "trust",
            "client_id",
            "secret",
            "tenant_id",
            "domain",
            "mfa_auth_context",
            "issuer",
            "enabled",
        ]


@admin.register(IdentityProvider)
class IdentityProviderAdmin(superuser_only(admin.ModelAdmin)):
    """Sign-in with Microsoft or Google, per school or trust. For superusers only: a provider
    signs in as anyone of its schools, the DSL included (README, "Single sign-on")."""

    form = IdentityProviderForm
    list_display = ["__str__", "kind", "client_id", "tenant_id", "domain", "enabled"]
    list_filter = ["kind", "enabled"]
    readonly_fields = ["redirect_uri"]

    @admin.display(description="Redirect URI")
    def redirect_uri(self, obj):
        """What the app registration (Entra) or OAuth client (Google) must list, once saved."""
        if obj is None or obj.pk is None:
            return "Shown once saved."
        return settings.SITE_URL + reverse("sso:callback", args=[obj.provider_id])


class SignInRequestForm(forms.ModelForm):
    class Meta:
        model = SignInRequest
        fields = ["user"]


@admin.register(SignInRequest)
class SignInRequestAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    """First sign-ins that matched no account: choose the person's existing account to link it
    (nothing else changes: the account keeps its roles), or decline."""

    admin_may = frozenset({"view", "change"})
    form = SignInRequestForm
    list_display = ["name", "email", "email_verified", "school", "status", "last_seen"]
    list_filter = ["status", "school"]
    search_fields = ["name", "email"]
    readonly_fields = [
        "name",
        "email",
        "email_verified",
        "school",
        "provider",
        "status",
        "first_seen",
        "last_seen",
        "decided_by",
        "decided_at",
    ]
    actions = ["decline"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("school", "provider")

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != SignInRequest.Status.PENDING:
            return [*self.readonly_fields, "user"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if "user" not in form.changed_data or obj.user is None:
            return
        user = obj.user
        obj.user = None
        try:
            services.sign_in_request_link(sign_in_request=obj, user=user, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            raise _NotSaved from None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _NotSaved:
            from django.http import HttpResponseRedirect

            return HttpResponseRedirect(request.path)

    @admin.action(description="Decline the selected sign-in requests")
    def decline(self, request, queryset):
        for sign_in_request in queryset.filter(status=SignInRequest.Status.PENDING):
            services.sign_in_request_decline(sign_in_request=sign_in_request, by=request.user)


class _NotSaved(Exception):
    pass
