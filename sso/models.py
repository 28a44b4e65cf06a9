"""Single sign-on: the identity providers a school or trust signs its staff in with, and the
first sign-ins that matched no account and wait for the admin (README, "Single sign-on")."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

ENTRA_ISSUER = "https://login.microsoftonline.com/{tenant}/v2.0"
GOOGLE_ISSUER = "https://accounts.google.com"


class IdentityProvider(models.Model):
    """Microsoft Entra ID or Google Workspace, for one school or for every school of a trust.
    Set up by whoever runs the server (a superuser): a provider can sign in as anyone of its
    schools, the DSL included, so it is as powerful as a superuser."""

    class Kind(models.TextChoices):
        ENTRA = "entra", "Microsoft Entra ID (Microsoft 365)"
        GOOGLE = "google", "Google Workspace"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    school = models.ForeignKey(
        "people.School", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    trust = models.ForeignKey(
        "people.Trust", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    client_id = models.CharField("client ID", max_length=200)
    secret = models.CharField("client secret", max_length=500)
    tenant_id = models.CharField(
        "tenant ID",
        max_length=100,
        blank=True,
        help_text="Entra ID only: the directory (tenant) ID of the school's Microsoft 365.",
    )
    domain = models.CharField(
        max_length=200,
        blank=True,
        help_text="Google Workspace only: the school's domain (accounts of any other are refused).",
    )
    mfa_auth_context = models.CharField(
        "MFA authentication context",
        max_length=10,
        blank=True,
        help_text=(
            "Entra ID only, optional: the ID (such as c1) of a Conditional Access authentication "
            "context whose policy requires multifactor authentication. Roper asks for it at "
            "sign-in and accepts the sign-in as two-factor when the ID token carries it."
        ),
    )
    issuer = models.URLField(
        blank=True,
        help_text="Leave blank: Microsoft's or Google's own. Only for testing another provider.",
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(school__isnull=False, trust__isnull=True)
                    | models.Q(school__isnull=True, trust__isnull=False)
                ),
                name="identityprovider_school_xor_trust",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.school or self.trust}"

    def clean(self):
        if bool(self.school_id) == bool(self.trust_id):
            raise ValidationError("Choose a school or a trust (one of the two).")
        if self.kind == self.Kind.ENTRA and not self.tenant_id:
            raise ValidationError({"tenant_id": "Entra ID needs the school's tenant ID."})
        if self.kind == self.Kind.GOOGLE and not self.domain:
            raise ValidationError({"domain": "Google Workspace needs the school's domain."})

    @property
    def provider_id(self) -> str:
        """The name allauth knows this provider by (SocialAccount.provider)."""
        return f"idp-{self.pk}"

    @property
    def button_label(self) -> str:
        return "Sign in with Microsoft" if self.kind == self.Kind.ENTRA else "Sign in with Google"

    def issuer_url(self) -> str:
        if self.issuer:
            return self.issuer.rstrip("/")
        if self.kind == self.Kind.ENTRA:
            return ENTRA_ISSUER.format(tenant=self.tenant_id)
        return GOOGLE_ISSUER

    def school_ids(self) -> list[int]:
        """The schools whose staff this provider signs in."""
        if self.school_id:
            return [self.school_id]
        return list(self.trust.schools.values_list("pk", flat=True))


class SignInRequest(models.Model):
    """Someone the identity provider vouched for, whose first sign-in matched no Roper account:
    nothing is created or activated until the school's admin links it to an account."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting approval"
        LINKED = "linked", "Linked to an account"
        DECLINED = "declined", "Declined"

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")
    #: The school the request is for (the provider's; the first of a trust's schools).
    school = models.ForeignKey("people.School", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=255, help_text="The provider's ID of the person")
    email = models.EmailField(blank=True)
    email_verified = models.BooleanField(default=False)
    name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The Roper account this person signs in to.",
    )
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField(auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="signinrequest_unique_subject"
            )
        ]

    def __str__(self):
        return f"{self.name or self.email or self.subject} ({self.get_status_display()})"
