"""A child's child-protection file moving with the child (issue 19, KCSIE): a transfer to
another school, and a package brought in from one."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models import private_storage
from roper.permissions import SchoolScopedQuerySet

USER = settings.AUTH_USER_MODEL


def receipt_code() -> str:
    """The code the receiving school types (or follows as a link) to confirm receipt: 32
    random URL-safe characters (192 bits), never guessed or counted."""
    return secrets.token_urlsafe(24)


def package_path(instance, filename):
    return f"transfers/{instance.from_school_id}/{filename}"


class Transfer(models.Model):
    """A learner's child-protection file sent to another school: by package (any school) or
    within the trust (both schools on this Roper). Due within five school days (KCSIE)."""

    class Kind(models.TextChoices):
        PACKAGE = "package", "Encrypted package (any school)"
        TRUST = "trust", "Within the trust"

    class Status(models.TextChoices):
        SENT = "sent", "Sent, awaiting receipt"
        RECEIVED = "received", "Receipt confirmed"
        ACCEPTED = "accepted", "Accepted by the receiving school"

    learner = models.ForeignKey("people.Learner", on_delete=models.PROTECT, related_name="+")
    from_school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    to_school = models.ForeignKey(
        "people.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_name = models.CharField("receiving school", max_length=200)
    to_urn = models.CharField("receiving school's URN", max_length=8, blank=True)
    in_year = models.BooleanField("an in-year move", default=True)
    sent_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    sent_by_name = models.CharField(max_length=200)
    sent_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENT)
    receipt_code = models.CharField(max_length=64, unique=True, default=receipt_code)
    #: The encrypted package (a package transfer): safe at rest, useless without the passphrase.
    package = models.FileField(
        upload_to=package_path, storage=private_storage, max_length=300, blank=True
    )
    package_sha256 = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by_name = models.CharField("receipt confirmed by", max_length=200, blank=True)
    received_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self):
        return f"Transfer of {self.learner} to {self.to_name}"

    @property
    def done(self) -> bool:
        return self.status != self.Status.SENT


class PackageImport(models.Model):
    """A transfer package (or a CSV of concerns) brought in: once per package (its
    identifier; a CSV's is its SHA-256), with what it said of who recorded what (the records
    themselves are attributed to whoever imported them: the other school's staff have no
    account here)."""

    class Kind(models.TextChoices):
        PACKAGE = "package", "Transfer package"
        CSV = "csv", "CSV of concerns"

    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PACKAGE)
    #: The learner of a package (a CSV names several).
    learner = models.ForeignKey(
        "people.Learner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    package_id = models.CharField(max_length=64)
    from_name = models.CharField("sending school", max_length=200)
    from_urn = models.CharField(max_length=8, blank=True)
    imported_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now)
    #: The package's JSON as received, without the files' contents (kept as evidence).
    manifest = models.JSONField()

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "package_id"], name="package_imported_once")
        ]

    def __str__(self):
        return f"Package from {self.from_name} ({self.imported_at:%d/%m/%Y})"
