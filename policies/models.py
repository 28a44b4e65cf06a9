"""Policy documents: key people, review dates, versions, review triggers, linked policies,
staff acknowledgements (per version) and training."""

import os
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from people.calendar import SchoolCalendar
from roper.errors import Refused
from roper.permissions import SchoolScopedQuerySet

#: A policy is reviewed at least annually (§4): the review cycle is at most this many months.
MAX_REVIEW_MONTHS = 12


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - day 28 exists in every month


class PrivateStorage(FileSystemStorage):
    """Uploaded files live under settings.PRIVATE_STORAGE_ROOT, outside any public path; a
    permission-checked view serves them. The setting is read on each use."""

    @property
    def base_location(self):
        return settings.PRIVATE_STORAGE_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def private_storage():
    return PrivateStorage()


class PolicyQuerySet(SchoolScopedQuerySet):
    def overdue(self, today: date):
        """Policies whose review is overdue on `today`."""
        return self.filter(Policy.overdue_q(today))

    def in_review_order(self, today: date):
        """Overdue first (oldest first), then under review, then by next review date."""
        return self.annotate(
            _overdue=models.Case(
                models.When(Policy.overdue_q(today), then=models.Value(0)),
                models.When(status="under_review", then=models.Value(1)),
                models.When(status="archived", then=models.Value(3)),
                default=models.Value(2),
            )
        ).order_by("_overdue", models.F("next_review_on").asc(nulls_last=True), "title")


class Policy(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        RATIFIED = "ratified", "Ratified"
        UNDER_REVIEW = "under_review", "Under review"
        ARCHIVED = "archived", "Archived"

    #: The statuses under the review cycle: a draft is not ratified yet, an archived policy
    #: is no longer reviewed.
    REVIEWED = (Status.RATIFIED, Status.UNDER_REVIEW)

    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="policies")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    listed_only = models.BooleanField(
        default=False,
        help_text="Roper only lists this policy (title, owner, review date, a file); "
        "its text lives elsewhere.",
    )
    owner = models.CharField(
        max_length=200, blank=True, help_text="Who looks after it, e.g. 'Headteacher'."
    )
    file = models.FileField(
        storage=private_storage, upload_to="policies/%Y/", blank=True, max_length=300
    )
    body = models.TextField(blank=True, help_text="Markdown. The current ratified text.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    dsl = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Designated Safeguarding Lead",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deputy_dsl = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Deputy DSL",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    osl = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Online Safety Lead",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    governor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="Named governor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    written_on = models.DateField("date written", null=True, blank=True)
    ratified_on = models.DateField("date ratified", null=True, blank=True)
    ratified_by = models.CharField(
        "ratified by", max_length=200, blank=True, default="Governing Body"
    )
    ratification_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_months = models.PositiveSmallIntegerField(
        "review cycle (months)",
        default=MAX_REVIEW_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REVIEW_MONTHS)],
        help_text="Reviewed at least annually; a shorter cycle may be set.",
    )
    next_review_on = models.DateField("next review", null=True, blank=True)
    requires_acknowledgement = models.BooleanField(
        default=True, help_text="Staff must read and acknowledge each ratified version."
    )
    linked = models.ManyToManyField("self", blank=True, symmetrical=True)
    published_for_families = models.BooleanField(
        "published for parents and pupils",
        default=False,
        help_text="Shows the current ratified version at a public page anyone may open, "
        "without signing in (and asks for a record of it being sent to families each year).",
    )
    history = HistoricalRecords()

    objects = PolicyQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(fields=["school", "slug"], name="policy_unique_slug"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("policies:detail", args=[self.slug])

    # -- review dates ------------------------------------------------------------------
    def latest_review_on(self) -> date | None:
        """The latest next-review date allowed: one year after ratification."""
        if self.ratified_on is None:
            return None
        return add_months(self.ratified_on, MAX_REVIEW_MONTHS)

    def default_next_review_on(self) -> date | None:
        if self.ratified_on is None:
            return None
        return add_months(self.ratified_on, min(self.review_months, MAX_REVIEW_MONTHS))

    def review_date_problem(self, next_review_on: date | None) -> str:
        """Why a next-review date is not allowed ("" when it is)."""
        if next_review_on is None or self.ratified_on is None:
            return ""
        if next_review_on <= self.ratified_on:
            return (
                f"The next review ({next_review_on:%-d %B %Y}) must be after the "
                f"ratification ({self.ratified_on:%-d %B %Y})."
            )
        latest = self.latest_review_on()
        if next_review_on > latest:
            return (
                f"A policy is reviewed at least annually: the next review must be on or "
                f"before {latest:%-d %B %Y}."
            )
        return ""

    def clean(self):
        super().clean()
        if problem := self.review_date_problem(self.next_review_on):
            raise ValidationError({"next_review_on": problem})

    def set_next_review(self, next_review_on: date | None = None) -> None:
        """Default: the review cycle after ratification; an earlier date may be given, a
        later one never."""
        if next_review_on is None:
            self.next_review_on = self.default_next_review_on()
            return
        if problem := self.review_date_problem(next_review_on):
            raise Refused(problem)
        self.next_review_on = next_review_on

    @classmethod
    def review_overdue(cls, next_review_on: date | None, status: str, today: date) -> bool:
        """The one rule: a review is overdue once its date has passed, for a policy under
        the review cycle. (`overdue_q` is the same rule for a query.)"""
        return bool(next_review_on and next_review_on < today and status in cls.REVIEWED)

    @classmethod
    def overdue_q(cls, today: date, prefix: str = "") -> models.Q:
        return models.Q(
            **{f"{prefix}next_review_on__lt": today, f"{prefix}status__in": cls.REVIEWED}
        )

    def is_overdue(self, today: date | None = None) -> bool:
        return self.review_overdue(
            self.next_review_on, self.status, today or SchoolCalendar.today()
        )

    # -- versions ----------------------------------------------------------------------
    @property
    def current_version(self):
        """The latest ratified version."""
        return self.versions.ratified().order_by("-number").first()

    @property
    def draft_version(self):
        return self.versions.filter(ratified_on__isnull=True).order_by("-number").first()


class PolicyVersionQuerySet(models.QuerySet):
    def ratified(self):
        return self.filter(ratified_on__isnull=False)

    def current(self) -> dict:
        """policy id -> its current version (the latest ratified one), in one query."""
        current = {}
        for version in self.ratified().order_by("policy_id", "-number"):
            current.setdefault(version.policy_id, version)
        return current


class PolicyVersion(models.Model):
    """One version of a policy's text. A ratified version is never changed; a review
    creates a draft copy of the current one, which is edited and then ratified."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField(help_text="Markdown.")
    change_summary = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ratified_on = models.DateField(null=True, blank=True)
    ratified_by = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policyversion_unique"),
        ]

    def __str__(self):
        return f"{self.policy} v{self.number}"

    def get_absolute_url(self):
        return reverse("policies:version", args=[self.policy.slug, self.number])

    @property
    def is_draft(self) -> bool:
        return self.ratified_on is None


class ReviewTrigger(models.Model):
    """Something that forces an early review (§4). An open trigger puts the policy under
    review at once; ratifying the reviewed version closes it."""

    class Reason(models.TextChoices):
        NATIONAL_GUIDANCE = "national_guidance", "National guidance changed"
        LOCAL_GUIDANCE = "local_guidance", "Local guidance or procedures changed"
        CHILD_PROTECTION = "child_protection", "A child-protection concern"
        TECHNOLOGY = "technology", "A change to the technical infrastructure"
        LESSONS_LEARNT = "lessons_learnt", "Lessons learnt from a concern"

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="triggers")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField(blank=True)
    source = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where it came from, in words that identify nothing, e.g. 'lessons learnt "
        "from a safeguarding concern'.",
    )
    #: The concern whose lessons learnt opened it, by number (policies know nothing else of
    #: concerns). Whoever that concern is concealed from never sees the trigger, and only
    #: those who see the concern in full see its number (incidents/visibility.py).
    concern_number = models.BigIntegerField(null=True, blank=True, editable=False)
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self):
        return f"{self.get_reason_display()} ({self.policy})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Acknowledgement(models.Model):
    """A staff member has read and understood one version."""

    version = models.ForeignKey(
        PolicyVersion, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_acknowledgements"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="acknowledgement_unique"),
        ]

    def __str__(self):
        return f"{self.user} read {self.version}"


class TrainingSettings(models.Model):
    """Per-school training settings: how often staff need the refresher (§6.2)."""

    school = models.OneToOneField(
        "people.School", on_delete=models.CASCADE, related_name="training_settings"
    )
    refresher_months = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "training settings"

    def __str__(self):
        return f"Training settings of {self.school}"

    @classmethod
    def for_school(cls, school) -> "TrainingSettings":
        found = cls.objects.filter(school=school).first()
        return found or cls(school=school)


class TrainingSession(models.Model):
    class Topic(models.TextChoices):
        INDUCTION = "induction", "Induction"
        SOCIAL_MEDIA = "social_media", "Social media"
        ONLINE_SAFETY = "online_safety", "Online safety"
        SAFEGUARDING = "safeguarding", "Safeguarding and child protection"
        MOBILE_DEVICES = "mobile_devices", "Mobile technology"
        OTHER = "other", "Other"

    school = models.ForeignKey(
        "people.School", on_delete=models.PROTECT, related_name="training_sessions"
    )
    title = models.CharField(max_length=200)
    held_on = models.DateField("date")
    topic = models.CharField(max_length=20, choices=Topic.choices)
    notes = models.TextField(blank=True)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TrainingAttendance", related_name="training_sessions"
    )
    history = HistoricalRecords()

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "title"]

    def __str__(self):
        return f"{self.title} ({self.held_on:%-d %b %Y})"

    def get_absolute_url(self):
        return reverse("policies:training_session", args=[self.pk])


class TrainingAttendance(models.Model):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_attendances"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_unique"),
        ]

    def __str__(self):
        return f"{self.user} at {self.session}"


class PolicySendingQuerySet(SchoolScopedQuerySet):
    school_field = "policy__school"


class PolicySending(models.Model):
    """The policy sent to families, for one school year: who sent it, when, which version, how
    and to which year groups. A school year runs from 1 September (`school_year` is the
    year it starts in: 2026 for 2026/27)."""

    class Method(models.TextChoices):
        EMAIL = "email", "Email"
        LETTER = "letter", "Letter home"
        APP = "app", "School app or parent portal"
        WEBSITE = "website", "Link on the school website or newsletter"

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="sendings")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    school_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    sent_on = models.DateField("sent on")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField("how", max_length=8, choices=Method.choices)
    #: Year-group codes (people.models.YearGroup), comma-separated; empty: every year group.
    year_groups = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = PolicySendingQuerySet.as_manager()

    class Meta:
        ordering = ["-school_year", "-sent_on"]

    def __str__(self):
        return f"{self.policy} sent {self.sent_on:%-d %b %Y}"

    @staticmethod
    def school_year_of(day: date) -> int:
        """The school year `day` falls in, by the year it starts (September to August)."""
        return day.year if day.month >= 9 else day.year - 1

    @property
    def school_year_label(self) -> str:
        return f"{self.school_year}/{(self.school_year + 1) % 100:02d}"

    @property
    def year_group_labels(self) -> str:
        from people.models import YearGroup

        if not self.year_groups:
            return "All year groups"
        codes = self.year_groups.split(",")
        return ", ".join(YearGroup(code).label for code in codes if code in YearGroup.values)


class PolicyLink(models.Model):
    """An external link found in a policy's text when it was imported, and what the last
    check of it found (policies.links; checked by a task, never inside a request)."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="links")
    url = models.URLField(max_length=500)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    problem = models.CharField(max_length=200, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["policy", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "url"], name="policy_link_unique_url"),
        ]

    def __str__(self):
        return self.url

    @property
    def is_dead(self) -> bool:
        return self.checked_at is not None and (self.status is None or self.status >= 400)

    @property
    def outcome(self) -> str:
        """'404', 'OK (200)' or the problem; '' before it is checked."""
        if self.checked_at is None:
            return ""
        if self.status is None:
            return self.problem
        return f"OK ({self.status})" if self.status < 400 else str(self.status)
