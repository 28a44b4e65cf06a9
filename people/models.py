from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.formats import date_format
from simple_history.models import HistoricalRecords

from roper.errors import Refused
from roper.permissions import SchoolScopedQuerySet
from roper.roles import Role, roles_holding


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

    objects = SchoolScopedQuerySet.as_manager()

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

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        # The id breaks ties (two Oliver Smiths): a list paged by a tied order may show one
        # learner on two pages and the other on none.
        ordering = ["legal_last_name", "legal_first_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["school", "upn"], name="learner_unique_upn"),
        ]
        indexes = [models.Index(fields=["school", "class_name"])]

    def __str__(self):
        return self.name

    @property
    def first_name(self):
        return _first_name(self.legal_first_name, self.preferred_name)

    @property
    def name(self):
        return _name(self.legal_first_name, self.preferred_name, self.legal_last_name)

    #: `name` of a row read as `values_list(*NAME_COLUMNS)` (an export of thousands).
    NAME_COLUMNS = ("legal_first_name", "preferred_name", "legal_last_name")

    @staticmethod
    def name_of(legal_first_name: str, preferred_name: str, legal_last_name: str) -> str:
        return _name(legal_first_name, preferred_name, legal_last_name)

    @property
    def details(self) -> str:
        """What tells two learners of one name apart: year, class and date of birth."""
        born = date_format(self.date_of_birth, "j M Y")
        return _details(self.get_year_group_display(), self.class_name, born)

    @property
    def label(self) -> str:
        """The learner as every picker offers them: "Ava Jones (Year 3, Oak, born 4 Mar 2017)"."""
        return f"{self.name} ({self.details})"

    @classmethod
    def labeller(cls, *, rows: bool = False):
        """`label` for a school's learners at once (a picker of 1,500): the year's label and
        the month's name looked up once, not twice a learner (~0.1 ms each). With `rows`,
        of a learner's row as `values_list(*LABEL_COLUMNS)` reads it, not of a Learner."""
        years = {str(k): str(v) for k, v in cls._meta.get_field("year_group").flatchoices}
        months = {m: date_format(date(2000, m, 1), "M") for m in range(1, 13)}

        def label(name, year_group, class_name, born) -> str:
            year = years.get(str(year_group), year_group)
            born = f"{born.day} {months[born.month]} {born.year:04d}"  # "j M Y"
            return f"{name} ({_details(year, class_name, born)})"

        if rows:
            return lambda row: label(_name(*row[1:4]), *row[4:])
        return lambda learner: label(
            learner.name, learner.year_group, learner.class_name, learner.date_of_birth
        )


#: A learner's columns that `Learner.labeller(rows=True)` reads, in its order.
LABEL_COLUMNS = (
    "pk",
    "legal_first_name",
    "preferred_name",
    "legal_last_name",
    "year_group",
    "class_name",
    "date_of_birth",
)


def _first_name(legal_first_name: str, preferred_name: str) -> str:
    """Learner.first_name from its parts: the preferred first name, else the legal one."""
    return preferred_name or legal_first_name


def _name(legal_first_name: str, preferred_name: str, legal_last_name: str) -> str:
    """Learner.name from its parts."""
    return f"{_first_name(legal_first_name, preferred_name)} {legal_last_name}"


def _details(year: str, class_name: str, born: str) -> str:
    """Learner.details from its parts: "Year 3, Oak, born 4 Mar 2017"."""
    return f"{year}, {class_name}, born {born}"


class Guardian(models.Model):
    """A parent or carer. Their relationship and whether they may collect belong to each
    link with a learner (a grandparent may collect one grandchild and not another)."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="guardians")
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    learners = models.ManyToManyField(Learner, through="Guardianship", related_name="guardians")
    history = HistoricalRecords()

    objects = SchoolScopedQuerySet.as_manager()

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
    notices = models.BooleanField(
        "sent the school's notices",
        default=True,
        help_text="Untick when this parent or carer must not be contacted (e.g. a court order): "
        "Roper sends them no notice, and tells staff to ask the DSL.",
    )
    #: From the MIS: the order in which the school calls contacts (1 first) …
    priority = models.PositiveSmallIntegerField(null=True, blank=True)
    #: … and whether this person has parental responsibility.
    parental_responsibility = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["priority", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "guardian"], name="guardianship_unique"),
        ]

    def __str__(self):
        return f"{self.guardian} ({self.relationship}) of {self.learner}"

    def clean(self):
        # A parent or carer is a record of one school: another school's is not offered to
        # this school's staff, nor may collect its children.
        if (
            self.guardian_id
            and self.learner_id
            and self.guardian.school_id != self.learner.school_id
        ):
            raise ValidationError({"guardian": "Choose a parent or carer of the learner's school."})


def validate_roles(value):
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one role.")
    unknown = set(value) - set(Role.values)
    if unknown:
        raise ValidationError(f"Unknown role(s): {', '.join(sorted(unknown))}.")


class MembershipQuerySet(models.QuerySet):
    """Who holds what in a school. The one rule: a user's roles in a school are those of their
    membership of the school and of its trust (trust-level roles), and only active users hold
    any. Roles are matched in Python (SQLite cannot search a JSON list), after one query."""

    def in_schools(self, schools):
        """Active users' memberships that give roles in any of `schools` (School rows or ids),
        each with `for_school`, the school it gives them in (a trust's membership comes once
        per school of the trust asked for)."""
        ids = [getattr(school, "pk", school) for school in schools]
        return self.filter(
            models.Q(school__in=ids) | models.Q(trust__schools__in=ids), user__is_active=True
        ).annotate(for_school=Coalesce("school_id", "trust__schools__id"))

    def _by_name(self, schools):
        return (
            self.in_schools(schools)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "user__username")
        )

    def holders_by_school(self, schools, *, roles=None, permission=None) -> dict[int, list]:
        """{school id: the active users who hold one of `roles`, or `permission`, in the school,
        directly or through its trust, by name}; any role when neither is given. One query."""
        wanted = set(roles_holding(permission) if permission else roles or ())
        found: dict[int, dict] = {getattr(school, "pk", school): {} for school in schools}
        for membership in self._by_name(found):
            if (roles is None and permission is None) or wanted & set(membership.roles):
                found[membership.for_school].setdefault(membership.user_id, membership.user)
        return {sid: list(users.values()) for sid, users in found.items()}

    def holders(self, school, *, roles=None, permission=None) -> list:
        """The active users who hold one of `roles`, or `permission`, in the school, directly or
        through its trust, by name; any role when neither is given. One query."""
        return self.holders_by_school([school], roles=roles, permission=permission)[school.pk]

    def holders_roles(self, school, *, permission) -> dict:
        """{user: all their roles in the school} for the active users who hold `permission`
        there, directly or through its trust, by name. One query."""
        users: dict[int, object] = {}
        roles: dict[int, set] = {}
        for membership in self._by_name([school]):
            users.setdefault(membership.user_id, membership.user)
            roles.setdefault(membership.user_id, set()).update(membership.roles)
        allowed = roles_holding(permission)
        return {users[uid]: frozenset(held) for uid, held in roles.items() if held & allowed}

    def holders_by_role(self, school) -> dict[str, list]:
        """{role: the active users who hold it in the school, directly or through its trust, by
        name}. One query."""
        by_role: dict[str, dict] = {}
        for membership in self._by_name([school]):
            for role in membership.roles:
                by_role.setdefault(role, {}).setdefault(membership.user_id, membership.user)
        return {role: list(users.values()) for role, users in by_role.items()}

    def members(self, school):
        """The active users who belong to the school (any role, directly or through its trust),
        by name: a queryset, for a form's choices."""
        from django.contrib.auth import get_user_model

        return (
            get_user_model()
            .objects.filter(pk__in=self.in_schools([school]).values("user_id"))
            .order_by("last_name", "first_name", "username")
        )


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

    objects = MembershipQuerySet.as_manager()

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


def approver_permission(roles) -> str:
    """Who approves these roles for someone (or hears of a reset of their sign-in): the chair
    when the headteacher role is among them, else the headteacher (roper/roles.py)."""
    if Role.HEADTEACHER in roles:
        return "people.roles.approve_headteacher"
    return "people.roles.approve"


class RoleRequest(models.Model):
    """A change the admin asked for that waits for the headteacher's approval (the chair's,
    when it is about the headteacher): a safeguarding role for someone, or a new password,
    email or two-factor reset for someone who reads safeguarding records (with those three
    and a guessed security question, the admin could sign in as them). Only approval makes
    the change."""

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting approval"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    class Kind(models.TextChoices):
        ROLE = "role", "Role"
        PASSWORD = "password", "New password"
        EMAIL = "email", "New email"
        TWO_FACTOR = "two_factor", "Two-factor reset"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="role_requests")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_requests"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ROLE)
    #: The role asked for; for another kind, the role of the person that makes the change
    #: need approval (it says who approves: the chair, for the headteacher).
    role = models.CharField(max_length=20, choices=Role.choices)
    new_email = models.EmailField(blank=True)
    #: A hash from `make_password`, never the password itself; emptied once decided.
    new_password = models.CharField(max_length=128, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        ordering = ["requested_at"]
        verbose_name = "request awaiting approval"
        verbose_name_plural = "requests awaiting approval"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "user", "kind", "role"],
                condition=models.Q(status="pending"),
                name="role_request_one_pending",
            ),
        ]

    def __str__(self):
        return f"{self.summary} at {self.school}"

    @property
    def summary(self) -> str:
        """What is asked, as the approver reads it."""
        name = self.user.get_full_name() or self.user.get_username()
        if self.kind == self.Kind.ROLE:
            return f"{self.get_role_display()} for {name}"
        if self.kind == self.Kind.PASSWORD:
            return f"A new password for {name}"
        if self.kind == self.Kind.EMAIL:
            return f"{name}'s email changed to {self.new_email}"
        return f"Two-factor sign-in reset for {name}"

    @property
    def approver_permission(self) -> str:
        return approver_permission({self.role})

    def decided_refusal(self) -> str | None:
        """Why this request cannot be decided (again), or None."""
        if self.status != self.Status.PENDING:
            return "This request has already been decided."
        return None


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise Refused("The audit trail cannot be changed.")

    def delete(self):
        raise Refused("The audit trail cannot be deleted.")


class AuditEntry(models.Model):
    """What was done to people's roles and sign-in, by whom: append-only. Names are kept as
    text, and the user columns carry no database constraint, so that deleting a user changes
    no entry (on PostgreSQL a trigger refuses UPDATE and DELETE outright)."""

    class Action(models.TextChoices):
        ROLE_REQUESTED = "role_requested", "Role requested"
        ROLE_APPROVED = "role_approved", "Role approved"
        ROLE_DECLINED = "role_declined", "Role declined"
        ROLE_GRANTED = "role_granted", "Role granted"
        ROLE_REMOVED = "role_removed", "Role removed"
        TWO_FACTOR_RESET = "two_factor_reset", "Two-factor sign-in reset"
        PASSWORD_SET = "password_set", "Password set"
        EMAIL_CHANGED = "email_changed", "Email changed"
        CHANGE_REQUESTED = "change_requested", "Change requested"
        CHANGE_APPROVED = "change_approved", "Change approved"
        CHANGE_DECLINED = "change_declined", "Change declined"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(max_length=200)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    subject_name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, blank=True)
    #: What changed, for a change that is not a role ("new password", "email to …").
    detail = models.CharField(max_length=200, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        role = f" ({self.role})" if self.role else ""
        detail = f": {self.detail}" if self.detail else ""
        return (
            f"{self.actor_name}: {self.get_action_display()}{role} for {self.subject_name}{detail}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise Refused("An audit entry cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Refused("An audit entry cannot be deleted.")

    @classmethod
    def record(cls, *, school, action: str, actor, subject, role: str = "", detail: str = ""):
        def name(user):
            return (user.get_full_name() or user.get_username()) if user else "command line"

        return cls.objects.create(
            school_id=getattr(school, "pk", school),
            action=action,
            actor=actor,
            actor_name=name(actor),
            subject=subject,
            subject_name=name(subject),
            role=role,
            detail=detail,
        )


class ImportRun(models.Model):
    """One import of learners and their contacts (an uploaded file or an MIS sync): its
    preview, then its outcome. The checked rows are kept only until the run is applied or
    discarded (then emptied); the uploaded file itself is never stored."""

    class Status(models.TextChoices):
        PREVIEW = "preview", "Waiting for you to apply it"
        APPLYING = "applying", "Being applied"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed: nothing was changed"
        DISCARDED = "discarded", "Discarded"

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Kind(models.TextChoices):
        LEARNERS = "learners", "Learners and parents/carers"
        STAFF = "staff", "Staff accounts"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.LEARNERS)
    #: "SIMS", "Arbor", "Bromcom", "Roper" (from the file's headers) or "Wonde" (a sync).
    source = models.CharField(max_length=20)
    #: A staff import: the role the admin chose for new accounts when applying ("" = none
    #: made). Never from the file.
    staff_role = models.CharField(max_length=20, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    #: Learners on Roper's roll and not in the file are marked as left.
    full_roll = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    rows = models.JSONField(default=list, blank=True)
    skipped_upns = models.JSONField(default=list, blank=True)
    plan = models.JSONField(default=dict, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.source} import of {self.created_at:%d %b %Y %H:%M}"


class MisConnection(models.Model):
    """A school's link to its MIS through an integration layer (Wonde first): synced on the
    clock through the importer, as an uploaded file is. The token is never shown back."""

    class Provider(models.TextChoices):
        WONDE = "wonde", "Wonde"

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=10, choices=Provider.choices, default=Provider.WONDE)
    external_id = models.CharField(
        "school id at the provider", max_length=64, help_text="Wonde's id of the school."
    )
    token = models.CharField(max_length=200, help_text="The API token the provider issued.")
    enabled = models.BooleanField(default=True, help_text="Synced every night when ticked.")
    last_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_outcome = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        verbose_name = "MIS connection"

    def __str__(self):
        return f"{self.get_provider_display()} for {self.school}"
