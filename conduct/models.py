"""Conduct: learners' breaches of the phone policy (seen or used), the school's sanctions
ladder, and the notices sent to parents and carers (issue 18)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from roper.models import RandomIdModel
from roper.permissions import SchoolScopedQuerySet

USER = settings.AUTH_USER_MODEL


class SanctionStep(models.Model):
    """One rung of the school's sanctions ladder: the consequence of a learner's Nth breach in
    a term. A breach beyond the last rung gets the last rung's consequence."""

    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(
        "breach in the term", help_text="1 for the first breach in a term, 2 for the second …"
    )
    consequence = models.CharField(max_length=200)
    involves_parents = models.BooleanField(
        "parents are told",
        default=False,
        help_text="Parents and carers on file are sent a notice when a breach reaches this step.",
    )
    history = HistoricalRecords()

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        ordering = ["school", "position"]
        constraints = [
            models.UniqueConstraint(fields=["school", "position"], name="sanction_step_unique")
        ]

    def __str__(self):
        return f"{self.position}: {self.consequence}"


#: A new school's ladder (the issue's example), until the head or leadership edit it.
DEFAULT_LADDER = [
    (1, "Phone kept at the office and returned to the learner at the end of the day", False),
    (2, "Phone kept at the office until a parent or carer collects it", True),
    (3, "A meeting with the parents or carers", True),
]


class Place(models.TextChoices):
    CLASSROOM = "classroom", "Classroom"
    CORRIDOR = "corridor", "Corridor or stairs"
    PLAYGROUND = "playground", "Playground or field"
    TOILETS = "toilets", "Toilets or changing room"
    DINING = "dining", "Dining hall"
    GATE = "gate", "School gate or grounds"
    OTHER = "other", "Elsewhere"


class Period(models.TextChoices):
    BEFORE = "before", "Before school"
    LESSON = "lesson", "Lesson"
    BREAK = "break", "Break"
    LUNCH = "lunch", "Lunch"
    AFTER = "after", "After school"


class Breach(RandomIdModel):
    """A learner's phone seen or used against the policy (§5.3), with the step of the ladder
    Roper computed from their breaches this term, and the step applied (the same one, or
    another with the reason given)."""

    class Kind(models.TextChoices):
        SEEN = "seen", "Phone seen"
        USED = "used", "Phone used"

    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey("people.Learner", on_delete=models.PROTECT, related_name="breaches")
    kind = models.CharField("what happened", max_length=4, choices=Kind.choices)
    at = models.DateTimeField("when", default=timezone.now)
    period = models.CharField("part of the day", max_length=6, choices=Period.choices)
    lesson = models.CharField("lesson", max_length=100, blank=True, help_text="e.g. Year 5 maths")
    place = models.CharField(max_length=10, choices=Place.choices)
    place_detail = models.CharField(
        "where exactly", max_length=200, blank=True, help_text="e.g. Room 12, by the lockers"
    )
    seen_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    what_next = models.TextField("what happened next", blank=True)
    confiscation = models.ForeignKey(
        "devices.Confiscation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="breaches",
    )
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    #: The learner's Nth breach in the term (this one counted).
    number_in_term = models.PositiveSmallIntegerField()
    #: The ladder's step for that number, as the ladder read when it was recorded.
    ladder_position = models.PositiveSmallIntegerField()
    ladder_consequence = models.CharField(max_length=200)
    #: The step applied: the ladder's, or another chosen with a reason.
    applied_position = models.PositiveSmallIntegerField()
    consequence = models.CharField(max_length=200)
    involves_parents = models.BooleanField(default=False)
    override_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "breaches"
        indexes = [
            models.Index(fields=["school", "-at"], name="breach_school_at"),
            models.Index(fields=["learner", "at"], name="breach_learner_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(applied_position=models.F("ladder_position"))
                | ~models.Q(override_reason=""),
                name="breach_override_has_reason",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.learner} on {self.at:%d/%m/%Y}"

    @property
    def overridden(self) -> bool:
        return self.applied_position != self.ladder_position


class ParentNotice(models.Model):
    """One notice to a parent or carer on file, or the record of why none was sent: who it
    was for, what it was about, how (email, a printed letter) and when. The evidence pack
    counts them."""

    class Kind(models.TextChoices):
        BREACH = "breach", "A breach reached a step that involves parents"
        CONFISCATED = "confiscated", "Phone confiscated"
        READY = "ready", "Phone ready to collect"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        LETTER = "letter", "Printed letter"
        NONE = "none", "Not sent"

    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey("people.Learner", on_delete=models.PROTECT, related_name="+")
    guardian = models.ForeignKey(
        "people.Guardian", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    channel = models.CharField(max_length=6, choices=Channel.choices)
    breach = models.ForeignKey(
        Breach, null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    confiscation = models.ForeignKey(
        "devices.Confiscation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: The staff member whose action caused it.
    by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    email = models.EmailField(blank=True)
    #: Why no notice was sent (channel "none"), for the staff to see.
    withheld_reason = models.CharField(max_length=200, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=300, blank=True)
    #: A sender's claim on the email (roper.emails does the same for notifications).
    email_claimed_until = models.DateTimeField(null=True, blank=True)

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(channel="email", emailed_at__isnull=True),
                name="parent_notice_unsent",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_channel_display()})"
