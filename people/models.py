from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from roper.roles import Role


class Trust(models.Model):
    name = models.CharField(max_length=200, unique=True)

    def __str__(self):
        return self.name


class School(models.Model):
    trust = models.ForeignKey(
        Trust, null=True, blank=True, on_delete=models.PROTECT, related_name="schools"
    )
    name = models.CharField(max_length=200)
    urn = models.CharField("URN", max_length=8, unique=True, help_text="Unique Reference Number")
    address = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Term(models.Model):
    """A school term. Terms are the school's calendar: school days fall inside them."""

    class Season(models.TextChoices):
        AUTUMN = "autumn", "Autumn"
        SPRING = "spring", "Spring"
        SUMMER = "summer", "Summer"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="terms")
    season = models.CharField(max_length=6, choices=Season.choices)
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["school", "starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["school", "starts_on"], name="term_unique_start"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="term_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.get_season_display()} {self.starts_on.year}"


class YearGroup(models.TextChoices):
    NURSERY = "N", "Nursery"
    RECEPTION = "R", "Reception"
    Y1 = "1", "Year 1"
    Y2 = "2", "Year 2"
    Y3 = "3", "Year 3"
    Y4 = "4", "Year 4"
    Y5 = "5", "Year 5"
    Y6 = "6", "Year 6"
    Y7 = "7", "Year 7"
    Y8 = "8", "Year 8"
    Y9 = "9", "Year 9"
    Y10 = "10", "Year 10"
    Y11 = "11", "Year 11"
    Y12 = "12", "Year 12"
    Y13 = "13", "Year 13"


class Learner(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="learners")
    legal_first_name = models.CharField(max_length=100)
    legal_last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(
        max_length=100, blank=True, help_text="Shown instead of the legal first name."
    )
    year_group = models.CharField(max_length=2, choices=YearGroup.choices)
    class_name = models.CharField("class", max_length=50)
    upn = models.CharField("UPN", max_length=13, help_text="Unique Pupil Number")
    date_of_birth = models.DateField()
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["legal_last_name", "legal_first_name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "upn"], name="learner_unique_upn"),
        ]
        indexes = [models.Index(fields=["school", "class_name"])]

    def __str__(self):
        return self.name

    @property
    def first_name(self):
        return self.preferred_name or self.legal_first_name

    @property
    def name(self):
        return f"{self.first_name} {self.legal_last_name}"


class Guardian(models.Model):
    """A parent or carer. Their relationship and whether they may collect belong to each
    link with a learner (a grandparent may collect one grandchild and not another)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="guardians")
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    learners = models.ManyToManyField(Learner, through="Guardianship", related_name="guardians")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Guardianship(models.Model):
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="guardianships")
    guardian = models.ForeignKey(Guardian, on_delete=models.CASCADE, related_name="guardianships")
    relationship = models.CharField(
        max_length=50, help_text="e.g. Mother, Grandfather, Foster carer"
    )
    may_collect = models.BooleanField(
        default=False, help_text="May collect the learner and a confiscated device."
    )
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "guardian"], name="guardianship_unique"),
        ]

    def __str__(self):
        return f"{self.guardian} ({self.relationship}) of {self.learner}"


def validate_roles(value):
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one role.")
    unknown = set(value) - set(Role.values)
    if unknown:
        raise ValidationError(f"Unknown role(s): {', '.join(sorted(unknown))}.")


class Membership(models.Model):
    """A user's roles in one school, or in every school of a trust (trust-level roles)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    trust = models.ForeignKey(
        Trust, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    roles = models.JSONField(default=list, validators=[validate_roles])
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(school__isnull=False, trust__isnull=True)
                    | models.Q(school__isnull=True, trust__isnull=False)
                ),
                name="membership_school_xor_trust",
            ),
            models.UniqueConstraint(fields=["user", "school"], name="membership_unique_school"),
            models.UniqueConstraint(fields=["user", "trust"], name="membership_unique_trust"),
        ]

    def __str__(self):
        return f"{self.user} at {self.school or self.trust}: {', '.join(self.roles)}"

    def get_roles_display(self):
        labels = dict(Role.choices)
        return ", ".join(labels.get(r, r) for r in self.roles)
