"""Devices: the daily handover at the office, confiscations with their chain of custody, the
end-of-day reconciliation and the exceptions register (policy §5.2, §5.3, §6.2)."""

from dataclasses import dataclass
from datetime import time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from simple_history.models import HistoricalRecords

from people.calendar import SchoolCalendar
from roper.errors import Refused
from roper.locking import locked
from roper.models import RandomIdModel
from roper.permissions import SchoolScopedQuerySet, has_perm

USER = settings.AUTH_USER_MODEL


# --------------------------------------------------------------------------------------------
# The daily handover


class Handover(models.Model):
    """A learner's phone handed in at the office on one school day (Europe/London) and, later,
    collected by the learner or by a named parent/carer. A mistaken check-in is undone by
    marking it undone (never deleted); the undo is also a `DeskEntry`."""

    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey(
        "people.Learner", on_delete=models.PROTECT, related_name="handovers"
    )
    school_day = models.DateField(db_index=True)
    tag = models.CharField("pouch or tag number", max_length=20, blank=True)
    in_at = models.DateTimeField()
    received_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    out_at = models.DateTimeField(null=True, blank=True)
    handed_back_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    collected_by_learner = models.BooleanField(default=False)
    collected_by = models.ForeignKey(
        "people.Guardian",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The parent or carer who collected the phone, when not the learner.",
    )
    held_note = models.CharField(
        "why it is still held",
        max_length=200,
        blank=True,
        help_text="Explains a phone still held at the end of the day.",
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-in_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "school_day"],
                condition=models.Q(undone_at__isnull=True),
                name="handover_one_per_learner_per_day",
            ),
            models.CheckConstraint(
                condition=~models.Q(collected_by_learner=True, collected_by__isnull=False),
                name="handover_collected_by_one",
            ),
        ]
        indexes = [
            # Every count of a school's days reads only this index (an index-only scan).
            models.Index(
                fields=["school", "school_day"],
                include=["out_at"],
                condition=models.Q(undone_at__isnull=True),
                name="handover_school_day_held",
            ),
            # The desk search's pouch-number match (`tag__iexact`).
            models.Index(Upper("tag"), name="handover_tag_upper"),
        ]

    def __str__(self):
        return f"{self.learner} on {self.school_day}"

    @property
    def is_held(self) -> bool:
        return self.undone_at is None and self.out_at is None

    @property
    def collector(self) -> str:
        if self.collected_by_id:
            return self.collected_by.name
        return "learner" if self.collected_by_learner else ""


class DeskEntry(models.Model):
    """One action at the desk, in order: a check-in, a check-out or an undo. Append-only."""

    #: How long a check-in or check-out may be undone.
    UNDO_WINDOW = timedelta(minutes=5)

    class Kind(models.TextChoices):
        IN = "in", "Checked in"
        OUT = "out", "Checked out"
        UNDO_IN = "undo_in", "Check-in undone"
        UNDO_OUT = "undo_out", "Check-out undone"

    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    handover = models.ForeignKey(Handover, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    undone = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "desk entries"
        # The desk's "last entries": one school's newest first (with only `at` and `school`
        # indexed, PostgreSQL combined the whole school's entries with the day's: 7 ms).
        indexes = [models.Index(fields=["school", "-at"], name="deskentry_school_at")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.handover}"

    @property
    def can_undo(self) -> bool:
        """A check-in or check-out not undone yet, within the undo window."""
        return (
            self.kind in (self.Kind.IN, self.Kind.OUT)
            and not self.undone
            and timezone.now() - self.at <= self.UNDO_WINDOW
        )


class DayReconciliation(models.Model):
    """The office's mark that a school day's phones have been reconciled. After it, changes to
    that day's handovers need a reason."""

    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    school_day = models.DateField()
    reconciled_at = models.DateTimeField(default=timezone.now)
    reconciled_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "school_day"], name="reconciliation_unique")
        ]

    def __str__(self):
        return f"{self.school_day} reconciled"


class Absence(models.Model):
    """A learner the office marked absent on a school day (at the end of the day). Roper keeps
    no register: this is the office's note, so that the evidence pack does not count an absent
    learner's phone as one not handed in. Removed when marked by mistake (history keeps it)."""

    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey("people.Learner", on_delete=models.PROTECT, related_name="absences")
    school_day = models.DateField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "school_day"], name="absence_unique")
        ]
        indexes = [models.Index(fields=["school", "school_day"], name="absence_school_day")]

    def __str__(self):
        return f"{self.learner} absent on {self.school_day}"


# --------------------------------------------------------------------------------------------
# Confiscations and the chain of custody


class CustodyState(models.TextChoices):
    CONFISCATED = "confiscated", "Confiscated"
    SECURED = "secured", "In secure store"
    RELEASED = "released", "Released to parent/carer"
    POLICE = "police", "Handed to police (evidence)"


#: state -> the states it may move to. Police is terminal: evidence is never released.
MOVES: dict[str, tuple[str, ...]] = {
    CustodyState.CONFISCATED: (CustodyState.SECURED, CustodyState.POLICE),
    CustodyState.SECURED: (CustodyState.RELEASED, CustodyState.POLICE),
    CustodyState.RELEASED: (),
    CustodyState.POLICE: (),
}


#: The states of a device the school still holds.
OPEN_STATES = (CustodyState.CONFISCATED, CustodyState.SECURED)

#: to state -> the permission needed to make that move.
MOVE_PERMISSION = {
    CustodyState.SECURED: "devices.confiscations",
    CustodyState.RELEASED: "devices.release",
    CustodyState.POLICE: "devices.release",
}


class ConfiscationQuerySet(SchoolScopedQuerySet):
    def open(self):
        """Devices the school still holds (confiscated or in the secure store)."""
        return self.filter(state__in=OPEN_STATES)


class ConfiscationReason(models.TextChoices):
    """Why a device was confiscated, in the policy's terms: what governors see counted."""

    LESSON = "lesson", "Used during lessons or school time without permission (§5.3)"
    ABUSE = "abuse", "Abusive or inappropriate messages or bullying (§5.1)"
    SOCIAL_MEDIA = "social", "Social media during school hours (§6.1)"
    IMAGES = "images", "Photos or recordings taken without consent (§5.1)"
    ILLEGAL = "illegal", "Suspected illegal material or evidence of an offence (§5.3)"
    OTHER = "other", "Other breach of the policy"


class Confiscation(RandomIdModel):
    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey(
        "people.Learner", on_delete=models.PROTECT, related_name="confiscations"
    )
    device = models.CharField("device description", max_length=200)
    reason_kind = models.CharField(
        "reason", max_length=8, choices=ConfiscationReason.choices, default=ConfiscationReason.OTHER
    )
    reason = models.TextField("what happened")
    confiscated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    confiscated_at = models.DateTimeField(default=timezone.now)
    held_at = models.CharField("where it is held", max_length=200)
    concern = models.ForeignKey(
        "incidents.Concern",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="confiscations",
        help_text="The concern this confiscation belongs to, when there is one.",
    )
    state = models.CharField(
        max_length=12, choices=CustodyState.choices, default=CustodyState.CONFISCATED
    )
    history = HistoricalRecords()

    objects = ConfiscationQuerySet.as_manager()

    class Meta:
        ordering = ["-confiscated_at"]
        indexes = [models.Index(fields=["school", "state"])]

    def __str__(self):
        return f"{self.device} from {self.learner}"

    @property
    def is_open(self) -> bool:
        return bool(MOVES[self.state])

    @property
    def is_evidence(self) -> bool:
        return self.state == CustodyState.POLICE

    def allowed_moves(self) -> tuple[str, ...]:
        return MOVES[self.state]

    def moves_for(self, user) -> list[str]:
        """The next states `user` may move this device to (the permission table decides)."""
        return [s for s in MOVES[self.state] if has_perm(user, MOVE_PERMISSION[s], self.school_id)]

    def check_move(self, to_state: str) -> None:
        if self.state == CustodyState.POLICE:
            raise Refused("This device is with the police as evidence: no one may move it.")
        if to_state not in MOVES[self.state]:
            raise Refused(
                f"A device that is {self.get_state_display().lower()} cannot be moved to "
                f"“{CustodyState(to_state).label.lower()}”."
            )


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise Refused("Custody events cannot be changed.")

    def delete(self):
        raise Refused("Custody events cannot be deleted.")

    def destroy_for_retention(self):
        """The one way custody events go: with their confiscation, when the retention job
        destroys the concern it belongs to (`devices.retention.destroy_confiscations`)."""
        return super().delete()


class CustodyEvent(models.Model):
    """One movement of a confiscated device. Append-only: never changed, never deleted."""

    confiscation = models.ForeignKey(Confiscation, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=12, choices=CustodyState.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    location = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    # Released to a parent/carer.
    guardian = models.ForeignKey(
        "people.Guardian", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    guardian_name = models.CharField(max_length=200, blank=True)
    relationship = models.CharField(max_length=50, blank=True)
    checked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    id_checked = models.BooleanField("identity checked", default=False)
    override_reason = models.TextField(
        blank=True, help_text="Why the headteacher released it to someone not on file."
    )
    # Handed to the police.
    officer = models.CharField(max_length=200, blank=True)
    force = models.CharField(max_length=200, blank=True)
    reference = models.CharField("police reference", max_length=100, blank=True)
    seal_number = models.CharField(max_length=100, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["confiscation", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["confiscation", "sequence"], name="custody_event_in_order"
            )
        ]

    def __str__(self):
        return f"{self.get_state_display()} at {self.at:%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise Refused("A custody event cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Refused("A custody event cannot be deleted.")


# --------------------------------------------------------------------------------------------
# Exceptions and approvals: each request is decided (approved or declined, with a reason and
# dates) by the role the policy names.


class Decision(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class Decided(models.Model):
    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=8, choices=Decision.choices, default=Decision.PENDING)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    @property
    def is_pending(self):
        return self.status == Decision.PENDING

    def problems(self) -> dict[str, str]:
        """field -> why this request, with its dates, would never be in force (empty when
        none): checked when it is filed (`clean`) and when it is approved (`decide`)."""
        if self.ends_on and self.ends_on < SchoolCalendar.today():
            ended = f"The end date ({self.ends_on:%d/%m/%Y}) has passed"
            return {"ends_on": f"{ended}: it would never be in force."}
        return {}

    def clean(self):
        super().clean()
        if self.is_pending and (errors := self.problems()):
            raise ValidationError(errors)

    def decide(self, *, by, approve: bool, reason: str, starts_on=None, ends_on=None):
        if not reason.strip():
            raise Refused("Give a reason for the decision.")
        if starts_on and ends_on and ends_on < starts_on:
            raise Refused("The end date is before the start date.")
        if by.pk == self.requested_by_id:
            raise Refused("You cannot decide your own request.")

        def decided(row):
            return None if row.is_pending else "This request has already been decided."

        # Two deciders at once (one approving, one declining): the second waits, then finds
        # the request decided.
        try:
            with locked(self, check=decided) as row:
                row.status = Decision.APPROVED if approve else Decision.DECLINED
                row.decided_by = by
                row.decided_at = timezone.now()
                row.decision_reason = reason
                row.starts_on, row.ends_on = starts_on, ends_on
                if approve and (errors := row.problems()):
                    raise Refused(" ".join(errors.values()))
                row.save()
        finally:
            self.refresh_from_db()  # as decided, by this decider or the other


class StaffException(Decided):
    """A staff member's request (§5.2, §6.2) or declaration of a pre-existing relationship."""

    class Kind(models.TextChoices):
        PERSONAL_DEVICE = "device", "Use a personal device during teaching (§5.2)"
        SOCIAL_MEDIA = "social", "Contact a pupil or parent through personal social media (§6.2)"
        RELATIONSHIP = "relationship", "Pre-existing relationship with a pupil or family"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    details = models.TextField(help_text="What, with whom, and why.")
    history = HistoricalRecords()

    class Meta(Decided.Meta):
        pass

    def __str__(self):
        return f"{self.get_kind_display()} — {self.requested_by}"


class ParentContactException(Decided):
    """Parents may contact this learner directly during school hours (§5.3)."""

    learner = models.ForeignKey("people.Learner", on_delete=models.PROTECT, related_name="+")
    details = models.TextField()
    history = HistoricalRecords()

    class Meta(Decided.Meta):
        pass

    def __str__(self):
        return f"Parent contact for {self.learner}"

    @classmethod
    def in_force_q(cls, day) -> Q:
        """Approved exceptions in force on `day` (between their dates, when they have any)."""
        return (
            Q(status=Decision.APPROVED)
            & (Q(starts_on__isnull=True) | Q(starts_on__lte=day))
            & (Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        )


class LearnerExemption(Decided):
    """A learner who keeps their phone (a glucose monitor app, a young carer), until review."""

    class Reason(models.TextChoices):
        MEDICAL = "medical", "Medical (e.g. a glucose monitor app)"
        YOUNG_CARER = "carer", "Young carer"
        OTHER = "other", "Other"

    learner = models.ForeignKey(
        "people.Learner", on_delete=models.PROTECT, related_name="device_exemptions"
    )
    reason = models.CharField(max_length=8, choices=Reason.choices)
    details = models.TextField()
    review_on = models.DateField("review by")
    history = HistoricalRecords()

    class Meta(Decided.Meta):
        pass

    def __str__(self):
        return f"Exemption for {self.learner}"

    def problems(self) -> dict[str, str]:
        """In force from its start date until its review date (`active_q`): none that never
        would be."""
        errors = super().problems()
        if not self.review_on:
            return errors
        never = "an exemption is in force only until its review date, so this one never would be."
        if self.review_on < SchoolCalendar.today():
            errors["review_on"] = f"The review date ({self.review_on:%d/%m/%Y}) has passed: {never}"
        elif self.starts_on and self.starts_on > self.review_on:
            errors["starts_on"] = (
                f"The start date is after the review date ({self.review_on:%d/%m/%Y}): {never}"
            )
        if self.ends_on:
            errors["ends_on"] = (
                f"An exemption is in force until its review date ({self.review_on:%d/%m/%Y}): "
                "leave the end date empty."
            )
        return errors

    @classmethod
    def active_q(cls, day, prefix=""):
        """Approved exemptions in force on `day` (the review date not yet passed)."""
        return models.Q(
            **{
                f"{prefix}status": Decision.APPROVED,
                f"{prefix}review_on__gte": day,
            }
        ) & (
            models.Q(**{f"{prefix}starts_on__isnull": True})
            | models.Q(**{f"{prefix}starts_on__lte": day})
        )


class CurriculumUseRequest(Decided):
    """A teacher's request to use learners' own devices in a lesson, with its risk
    assessment; decided by a member of the leadership team (§5.3)."""

    activity = models.CharField(max_length=200)
    date = models.DateField()
    class_name = models.CharField("class", max_length=50)
    risks = models.TextField()
    controls = models.TextField(help_text="How each risk is controlled.")
    history = HistoricalRecords()

    class Meta(Decided.Meta):
        pass

    def __str__(self):
        return f"{self.activity} ({self.class_name}, {self.date})"

    def problems(self) -> dict[str, str]:
        """Approved before the lesson, not after it."""
        errors = super().problems()
        if self.date and self.date < SchoolCalendar.today():
            errors["date"] = (
                f"The lesson's date ({self.date:%d/%m/%Y}) has passed: curriculum use is "
                "approved before the lesson."
            )
        return errors


# --------------------------------------------------------------------------------------------
# Per-school settings of the end-of-day reminder


class DeviceSettings(models.Model):
    """When the school's day ends (the end-of-day reminder goes then, on school days) and how
    long a confiscated device may be held before the office and DSL are told."""

    school = models.OneToOneField(
        "people.School", on_delete=models.CASCADE, related_name="device_settings"
    )
    end_of_day_at = models.TimeField(
        "end of the school day", default=time(16, 30), help_text="The reminder goes at this time."
    )
    home_time = models.TimeField(
        "home time",
        default=time(14, 30),
        help_text="From this time the desk lists held phones first, and Enter on a learner whose "
        "phone is held hands it back to them.",
    )
    confiscation_limit_days = models.PositiveSmallIntegerField(
        "confiscation limit (school days)",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text="A confiscated device held longer than this is reported at the end of the day.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "device settings"

    def __str__(self):
        return f"Device settings of {self.school}"

    @classmethod
    def for_school(cls, school) -> "DeviceSettings":
        return cls.objects.filter(school=school).first() or cls(school=school)


# --------------------------------------------------------------------------------------------
# The registers of exceptions, and who decides what in each


@dataclass(frozen=True)
class Register:
    slug: str
    title: str
    model: type
    #: permission -> the rows of the register a holder of it decides (for the staff register,
    #: which kinds; otherwise one permission decides every row).
    deciders: dict

    def decided_by(self, user, school) -> Q | None:
        """The rows this user decides, or None."""
        q = None
        for permission, condition in self.deciders.items():
            if has_perm(user, permission, school):
                q = condition if q is None else q | condition
        return q

    def rows(self):
        """The register's rows, with the people (and learner) they name."""
        fields = ["requested_by", "decided_by"]
        if any(f.name == "learner" for f in self.model._meta.fields):
            fields.append("learner")
        return self.model.objects.select_related(*fields)


SK = StaffException.Kind
REGISTERS = {
    r.slug: r
    for r in [
        Register(
            "staff",
            "Staff requests and declarations",
            StaffException,
            {
                "devices.exceptions.approve": Q(kind__in=[SK.PERSONAL_DEVICE, SK.SOCIAL_MEDIA]),
                "devices.relationships.decide": Q(kind=SK.RELATIONSHIP),
            },
        ),
        Register(
            "parent-contact",
            "Parent-contact exceptions",
            ParentContactException,
            {"devices.exceptions.approve": Q()},
        ),
        Register(
            "exemptions",
            "Learners exempt from handing in",
            LearnerExemption,
            {"devices.exceptions.approve": Q()},
        ),
        Register(
            "curriculum",
            "Curriculum use of learners' devices",
            CurriculumUseRequest,
            {"devices.curriculum.approve": Q()},
        ),
    ]
}


# --------------------------------------------------------------------------------------------
# Searches (DfE, "Searching, screening and confiscation", July 2022)


class SearchAuthorisation(models.Model):
    """A member of staff the headteacher has authorised to search pupils. The statutory power
    is the headteacher's and that of the staff they authorise, person by person (DfE,
    "Searching, screening and confiscation", 2022): not a job title, so not a role. Revoked,
    never deleted; an authorisation in force has no `revoked_at`."""

    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    authorised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    authorised_at = models.DateTimeField(default=timezone.now)
    revoked_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-authorised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "user"],
                condition=models.Q(revoked_at__isnull=True),
                name="search_authorisation_one_in_force",
            )
        ]

    def __str__(self):
        return f"{self.user} authorised to search"


class SearchConsent(models.TextChoices):
    AGREED = "agreed", "The pupil agreed to be searched"
    POWER = "power", "Without consent: a searchable item under the school rules or the law"


class Search(RandomIdModel):
    """The record of one search of a pupil or their possessions for a device, as the DfE's
    guidance asks: who searched and who witnessed, when, where, why, what was searched, what
    was found (nothing found is recorded too), and who was told."""

    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey("people.Learner", on_delete=models.PROTECT, related_name="searches")
    searched_at = models.DateTimeField("date and time of the search")
    place = models.CharField(
        "where", max_length=200, help_text="e.g. Head's office, Year 6 cloakroom."
    )
    grounds = models.TextField(
        "grounds for the search",
        help_text="Why you suspected the pupil had a device (what was seen or reported).",
    )
    consent = models.CharField(max_length=8, choices=SearchConsent.choices)
    searched_outer_clothing = models.BooleanField(
        "outer clothing", default=False, help_text="Coats, blazers, hats, shoes, gloves, scarves."
    )
    searched_pockets = models.BooleanField("pockets", default=False)
    searched_bag = models.BooleanField("bag", default=False)
    searched_locker = models.BooleanField("locker or desk", default=False)
    searched_other = models.CharField("anything else searched", max_length=200, blank=True)
    searched_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    witness = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A second member of staff present throughout.",
    )
    searcher_same_sex = models.BooleanField(
        "the searcher is the same sex as the pupil", default=False
    )
    witness_same_sex = models.BooleanField(
        "the witness is the same sex as the pupil", default=False
    )
    urgent_reason = models.TextField(
        "why it could not wait",
        blank=True,
        help_text="Only when searched without a witness, or the pupil's clothing or pockets by "
        "a member of staff of the other sex: the risk of serious harm if not searched at once, "
        "and why no other member of staff could be fetched.",
    )
    witness_sex_reason = models.TextField(
        "why no witness of the pupil's sex",
        blank=True,
        help_text="Only when the pupil's clothing or pockets were searched with a witness of "
        "the other sex: why no member of staff of the pupil's sex could witness it.",
    )
    anything_found = models.BooleanField("something was found", default=False)
    found = models.TextField("what was found", blank=True)
    confiscation = models.ForeignKey(
        Confiscation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="searches",
        help_text="The confiscation of what was found, when it was confiscated.",
    )
    parents_informed_at = models.DateTimeField("parents or carers told at", null=True, blank=True)
    parents_informed_how = models.CharField("how they were told", max_length=200, blank=True)
    dsl_informed_at = models.DateTimeField("DSL told at", null=True, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-searched_at"]
        verbose_name_plural = "searches"
        indexes = [models.Index(fields=["school", "-searched_at"], name="search_school_at")]

    def __str__(self):
        return f"Search of {self.learner} on {self.searched_at:%d/%m/%Y}"

    @property
    def searched(self) -> list[str]:
        """What was searched, in words."""
        parts = [
            str(self._meta.get_field(name).verbose_name)
            for name in ("searched_outer_clothing", "searched_pockets", "searched_bag",
                         "searched_locker")
            if getattr(self, name)
        ]  # fmt: skip
        if self.searched_other:
            parts.append(self.searched_other)
        return parts

    @property
    def of_the_person(self) -> bool:
        """Clothing or pockets: the pupil's person, where the same-sex rule applies."""
        return self.searched_outer_clothing or self.searched_pockets

    def problems(self) -> dict[str, str]:
        """field -> what is wrong with this record (the guidance's rules); empty when none."""
        errors = {}
        if self.searched_at and self.searched_at > timezone.now() + timedelta(minutes=5):
            errors["searched_at"] = "The search cannot be in the future."
        if not (self.searched or self.searched_other):
            errors["searched_outer_clothing"] = "Say what was searched."
        if self.witness_id and self.witness_id == self.searched_by_id:
            errors["witness"] = "The witness is a second member of staff, not the searcher."
        needs_urgency = []
        if not self.witness_id:
            needs_urgency.append("without a witness")
        if self.of_the_person and not self.searcher_same_sex:
            needs_urgency.append("the pupil's clothing or pockets by staff of the other sex")
        if needs_urgency and not self.urgent_reason.strip():
            errors["urgent_reason"] = (
                "The guidance allows a search "
                + " or ".join(needs_urgency)
                + " only when there is a risk of serious harm if it is not done at once and no "
                "other member of staff can be fetched: say why, or add a witness."
            )
        if (
            self.of_the_person
            and self.witness_id
            and not self.witness_same_sex
            and not (self.witness_sex_reason.strip() or self.urgent_reason.strip())
        ):
            errors["witness_sex_reason"] = (
                "The guidance asks for a witness of the pupil's sex wherever possible when "
                "their clothing or pockets are searched: ask one to witness, or say why no "
                "member of staff of the pupil's sex could."
            )
        if self.anything_found and not self.found.strip():
            errors["found"] = "Say what was found."
        if not self.anything_found and self.found.strip():
            errors["anything_found"] = "Tick “something was found”, or clear what was found."
        if self.confiscation_id and not self.anything_found:
            errors["confiscation"] = "A confiscation is linked only when something was found."
        if self.confiscation_id and self.confiscation.learner_id != self.learner_id:
            errors["confiscation"] = "That confiscation is of another pupil's device."
        if self.parents_informed_at and not self.parents_informed_how.strip():
            errors["parents_informed_how"] = "Say how the parents or carers were told."
        for name in ("parents_informed_at", "dsl_informed_at"):
            told = getattr(self, name)
            if told and self.searched_at and told < self.searched_at:
                errors[name] = "They cannot have been told before the search."
        return errors

    def clean(self):
        super().clean()
        from django.core.exceptions import ValidationError

        if errors := self.problems():
            raise ValidationError(errors)
