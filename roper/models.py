"""What every app shares: the access log, in-app notifications, and records numbered at
random (concerns, confiscations)."""

import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models.signals import pre_save

from roper.errors import Refused


def random_id() -> int:
    """A twelve-digit record number drawn at random."""
    return 10**11 + secrets.randbelow(9 * 10**11)


class RandomIdModel(models.Model):
    """A record whose number, shown to users and in its URL, is drawn at random.

    Sequential numbers would let anyone count what they may not see: a gap between the
    concerns someone can see is a concern hidden from them (DESIGN.md, "Secrecy is one rule").
    No per-viewer renumbering can close every gap, and a number that differs between viewers
    cannot be read out on the phone, so the number carries no order at all. A clash (about one
    in ten million per record at a million records) draws again."""

    id = models.BigIntegerField(primary_key=True, default=random_id, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            return super().save(*args, **kwargs)
        for _ in range(5):
            try:
                with transaction.atomic():
                    return super().save(*args, **kwargs)
            except IntegrityError:
                if not type(self)._default_manager.filter(pk=self.pk).exists():
                    raise
                self.pk = random_id()
        raise IntegrityError("No free record number after five draws.")


class AccessLog(models.Model):
    """Who viewed or changed a sensitive record, and when, and who was refused it. It keeps
    the user's name so that it survives the deletion of the user. Append-only: here, and in
    PostgreSQL by a trigger (migration 0005) that refuses UPDATE, DELETE and TRUNCATE."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        CHANGE = "change", "Changed"
        DOWNLOAD = "download", "Downloaded"
        PRINT = "print", "Printed"

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "Allowed"
        REFUSED = "refused", "Refused"

    school = models.ForeignKey(
        settings.ROPER_SCHOOL_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    user_name = models.CharField(max_length=200)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.VIEW)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    what = models.CharField(max_length=200, help_text="e.g. 'concern #12', 'chronology'")
    #: A database default too: a writer that does not name the column (the bench's COPY, the
    #: previous release during a rolling deploy) records an allowed view, as before.
    outcome = models.CharField(
        max_length=7,
        choices=Outcome.choices,
        default=Outcome.ALLOWED,
        db_default=Outcome.ALLOWED,
    )

    class Meta:
        ordering = ["-at"]
        # A record's log, newest first (the concern page lists it 50 at a time, paged by
        # id): read from the index, not every view of a record ever made sorted.
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "-id"], name="accesslog_record_newest"
            )
        ]

    def __str__(self):
        return f"{self.user_name} {self.description} at {self.at}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise Refused("An access log entry cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Refused("An access log entry cannot be deleted.")

    @property
    def description(self) -> str:
        """'viewed concern #12', or 'was refused: view concern #12'."""
        if self.outcome == self.Outcome.REFUSED:
            return f"was refused: {self.action} {self.what}"
        return f"{self.get_action_display().lower()} {self.what}"

    @classmethod
    def record_access(
        cls,
        *,
        user,
        obj,
        school,
        what: str,
        action: str = Action.VIEW,
        outcome: str = Outcome.ALLOWED,
    ):
        written = cls.record_accesses(
            user=user,
            model=type(obj),
            records=[(obj.pk, school, what)],
            action=action,
            outcome=outcome,
        )
        return written[0] if written else None

    @classmethod
    def record_accesses(
        cls,
        *,
        user,
        model,
        records,
        action: str = Action.VIEW,
        outcome: str = Outcome.ALLOWED,
    ) -> list:
        """`record_access` for each (pk, school, what) of `records`, records of `model`, in one
        INSERT (on PostgreSQL; SQLite's limit on parameters splits it): an export of a school's
        10,000 concerns logged each in a statement of its own took 9 s (bench/README.md, tenth
        pass). The user and the type are given by id: set as objects, each row asked the
        database router twice (a third of the time of 10,000 rows)."""
        name = user.get_full_name() or user.get_username()
        content_type_id = ContentType.objects.get_for_model(model).pk
        rows = [
            cls(
                school_id=getattr(school, "pk", school),
                user_id=user.pk,
                user_name=name,
                action=action,
                content_type_id=content_type_id,
                object_id=pk,
                what=what,
                outcome=outcome,
            )
            for pk, school, what in records
        ]
        for row in rows:  # as save() sends it (roper.text cleans short text)
            pre_save.send(sender=cls, instance=row, raw=False, using="default", update_fields=None)
        return cls.objects.bulk_create(rows)


class NotificationQuerySet(models.QuerySet):
    def email_unclaimed(self, now):
        """Not yet emailed, and no sender holds a live claim on it."""
        return self.filter(emailed_at__isnull=True).filter(
            models.Q(email_claimed_until__isnull=True) | models.Q(email_claimed_until__lt=now)
        )

    def email_due(self, now, max_attempts: int):
        """What the `notification-emails` job sends: unsent, unclaimed, not given up on."""
        return self.email_unclaimed(now).filter(
            email_attempts__lt=max_attempts, recipient__email__gt=""
        )


class Notification(models.Model):
    """An in-app notification. It never carries case detail: a title such as
    'A new concern to triage', an urgency and a link that requires sign-in."""

    class Urgency(models.TextChoices):
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    school = models.ForeignKey(
        settings.ROPER_SCHOOL_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    title = models.CharField(max_length=200)
    url = models.CharField(max_length=300, blank=True)
    urgency = models.CharField(max_length=6, choices=Urgency.choices, default=Urgency.NORMAL)
    read_at = models.DateTimeField(null=True, blank=True)
    #: Email delivery: set when sent; failures are counted and kept for an admin to see.
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=300, blank=True)
    #: A sender claims the email before sending it, so that two runs never send it twice; a
    #: claim expires, so that a sender that dies holding one does not lose the email.
    email_claimed_until = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(
                fields=["created_at"],
                condition=models.Q(emailed_at__isnull=True),
                name="notification_email_pending",
            ),
        ]

    def __str__(self):
        return self.title


class Reminder(models.Model):
    """A reminder that has been sent, under a key naming what, for which record, which step
    and for whom. The unique key, not a check-then-insert, makes every job idempotent: two
    runs (or two beat processes) at once send a reminder exactly once."""

    key = models.CharField(max_length=255, unique=True)
    school = models.ForeignKey(
        settings.ROPER_SCHOOL_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    notification = models.OneToOneField(
        Notification, null=True, on_delete=models.SET_NULL, related_name="reminder"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.key


class UserSession(models.Model):
    """Which sessions a user has, so that they can all be ended at once (a user deactivated,
    a membership removed)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.user} since {self.created_at}"


class RetentionBatch(models.Model):
    """Records of one school past their retention period under one rule, found by the monthly
    retention job, for the DSL to approve. Once destroyed, the batch stays as the destruction
    record: which rule, how many, which record numbers, who approved, when — no personal data."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting approval"
        DESTROYED = "destroyed", "Destroyed"
        DECLINED = "declined", "Kept (declined)"

    school = models.ForeignKey(
        settings.ROPER_SCHOOL_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rule = models.CharField(max_length=40)
    month = models.DateField(help_text="The first day of the month the job found them.")
    #: Ids of the people who could decide it, when it was found, that its records are
    #: concealed from, sorted: the batch's key within its rule and month (one batch per such
    #: set, so that each batch has deciders who may see all of it).
    hidden_from = models.JSONField(default=list, blank=True)
    #: Ids of everyone its records are concealed from, whatever their role (the staff they
    #: name, …), sorted: recorded when it is found and again when it is destroyed, it is never
    #: shown to them, before or after its destruction (roper/retention.py).
    concealed_from = models.JSONField(default=list, blank=True)
    object_ids = models.JSONField(default=list)
    count = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_name = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-month", "rule"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "rule", "month", "hidden_from"],
                name="retention_batch_once_a_month",
            )
        ]

    def __str__(self):
        return f"{self.rule}: {self.count} ({self.get_status_display()})"


class LegalHold(models.Model):
    """A record that must not be destroyed (an investigation, a court case, an inquiry)."""

    school = models.ForeignKey(
        settings.ROPER_SCHOOL_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=300)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_type", "object_id"], name="legal_hold_once")
        ]

    def __str__(self):
        return f"Hold on {self.content_type} {self.object_id}: {self.reason}"


class Submission(models.Model):
    """A create form sent once (roper.once): its one-time key, and where the record it made
    is shown, so a second press of Enter, or Back and Record again, finds it instead of making
    a twin. Kept two days (the `submission-keys` job)."""

    key = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"{self.key} → {self.url or '(in progress)'}"


class Draft(models.Model):
    """A long form a person has not sent yet, kept on the server in their own name (roper.drafts):
    saved as they type, and when a sign-out for inactivity catches the form being sent. Only its
    author reads it; it is deleted when the form is sent, discarded, or a week old."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(
        settings.ROPER_SCHOOL_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    saved_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "school", "name"], name="one_draft_per_form")
        ]

    def __str__(self):
        return f"{self.name} draft of user {self.user_id}"

    def initial(self, fields, prefix: str = "") -> dict:
        """Initial values of a form's `fields` (with a formset form's `prefix`)."""
        found = {}
        for field in fields:
            values = self.data.get(f"{prefix}{field}")
            if values:
                found[field] = values if len(values) > 1 else values[0]
        return found
