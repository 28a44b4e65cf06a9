"""Concerns, their categories (the routing rules as data), the people involved, the
timeline and the evidence. Routing lives in `incidents/routing.py`, who may see what in
`incidents/visibility.py`, and deadlines are counted by the school calendar
(`people.calendar.SchoolCalendar`)."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords

from roper.models import RandomIdModel
from roper.permissions import SchoolScopedQuerySet
from roper.roles import Role


class PrivateStorage(FileSystemStorage):
    """Files under settings.PRIVATE_STORAGE_ROOT, which no URL serves: evidence is only
    downloadable through a permission-checked view. The root is read on every use so a
    test (or a deployment) can change the setting."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return str(settings.PRIVATE_STORAGE_ROOT)

    @property
    def location(self):
        return str(settings.PRIVATE_STORAGE_ROOT)

    def url(self, name):
        raise ValueError("Evidence has no public URL; use incidents:evidence.")


private_storage = PrivateStorage()

#: How far past the server's clock a time typed in may be and still be taken as now (a
#: device's clock a little fast, a minute rounded up): any later is in the future.
CLOCK_SLACK = timedelta(minutes=5)


def is_future(moment) -> bool:
    return moment > timezone.now() + CLOCK_SLACK


class Referral(models.TextChoices):
    POLICE = "police", "Police"
    LADO = "lado", "LADO"
    SOCIAL_CARE = "social_care", "Children's social care"
    PARENTS = "parents", "Parents/carers informed"
    ESS = "ess", "Education Safeguarding Service advice"


class DeadlineUnit(models.TextChoices):
    MINUTES = "minutes", "Minutes"
    SCHOOL_DAYS = "school_days", "School days"
    WORKING_DAYS = "working_days", "Working days"


class Category(models.Model):
    """A kind of concern and its routing rule, per school (seeded from DESIGN.md's routing
    table by `incidents.routing.categories_seed`; an admin may edit them)."""

    school = models.ForeignKey("people.School", on_delete=models.CASCADE, related_name="+")
    key = models.SlugField(max_length=50, help_text="Stable key of a seeded default.")
    name = models.CharField(max_length=200)
    guidance = models.TextField(blank=True, help_text="Shown to the reporter when chosen.")
    owner_role = models.CharField(max_length=20, choices=Role.choices, default=Role.DSL)
    informed_roles = models.JSONField(default=list, blank=True)
    required_referrals = models.JSONField(default=list, blank=True)
    referral_note = models.CharField(max_length=200, blank=True)
    deadline_amount = models.PositiveIntegerField(default=1)
    deadline_unit = models.CharField(
        max_length=12, choices=DeadlineUnit.choices, default=DeadlineUnit.SCHOOL_DAYS
    )
    is_online = models.BooleanField(
        default=False, help_text="Online safety: asks for platform and handles; the OSL sees it."
    )
    allows_images = models.BooleanField(default=True)
    no_images_reason = models.CharField(max_length=300, blank=True)
    is_staff_case = models.BooleanField(default=False, help_text="An allegation about staff.")
    is_about_head = models.BooleanField(default=False)
    is_immediate_danger = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        ordering = ["school", "order", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["school", "key"], name="category_unique_key"),
        ]

    def __str__(self):
        return self.name

    @property
    def routable_roles(self) -> frozenset[str]:
        """The roles that may own this category's concerns or be told of them, by its kind
        (DESIGN.md, "Roles and what they may see"): an allegation about the headteacher goes
        to the chair of governors and no one else; one about staff to the headteacher, the
        DSL and the deputy DSL; any other concern to the DSL, the deputy DSL and the
        headteacher, and to the Online Safety Lead when it is about online safety. A school
        edits its categories within these (`clean`), and routing keeps to them whatever a
        category says (`incidents.routing.route`)."""
        if self.is_about_head:
            return frozenset({Role.CHAIR})
        roles = {Role.HEADTEACHER, Role.DSL, Role.DEPUTY_DSL}
        if self.is_online and not self.is_staff_case:
            roles.add(Role.OSL)
        return frozenset(roles)

    def _routable_message(self) -> str:
        if self.is_about_head:
            kind = "An allegation about the headteacher"
        elif self.is_staff_case:
            kind = "An allegation about staff"
        elif self.is_online:
            kind = "An online-safety concern"
        else:
            kind = "A concern that is not about online safety or staff"
        names = [label for value, label in Role.choices if value in self.routable_roles]
        return f"{kind} may be owned by, or told to, only: {', '.join(names)}."

    def clean(self):
        allowed = self.routable_roles
        problems = {}
        if self.owner_role and self.owner_role not in allowed:
            problems["owner_role"] = self._routable_message()
        if any(role not in allowed for role in self.informed_roles or []):
            problems["informed_roles"] = self._routable_message()
        if problems:
            raise ValidationError(problems)


class ConcernQuerySet(SchoolScopedQuerySet):
    def with_referral_entries(self):
        """Reads the entries that record a referral (`Entry.RECORDS_REFERRAL`) of all the
        concerns in one more query, for `Concern.referrals_pending`."""
        return self.prefetch_related(
            models.Prefetch(
                "entries",
                queryset=Entry.objects.filter(kind__in=Entry.RECORDS_REFERRAL),
                to_attr="referral_entries",
            )
        )

    def counted(self):
        """The concerns that count as concerns in figures: not those withdrawn (a duplicate,
        or reported in error), which are kept, but are not a second concern."""
        return self.exclude(status=Concern.Status.WITHDRAWN)


class Concern(RandomIdModel):
    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In progress"
        AWAITING_REFERRAL = "awaiting_referral", "Awaiting referral"
        CLOSED = "closed", "Closed"
        #: A duplicate, or reported in error: kept (never deleted), out of the queues.
        WITHDRAWN = "withdrawn", "Withdrawn"

    #: Statuses that take no more changes.
    ENDED = frozenset({Status.CLOSED, Status.WITHDRAWN})

    class Withdrawal(models.TextChoices):
        DUPLICATE = "duplicate", "A duplicate of another concern"
        ERROR = "error", "Reported in error"

    class Finding(models.TextChoices):
        SUBSTANTIATED = "substantiated", "Substantiated"
        UNSUBSTANTIATED = "unsubstantiated", "Unsubstantiated"
        UNFOUNDED = "unfounded", "Unfounded"
        FALSE = "false", "False"
        MALICIOUS = "malicious", "Malicious"

    class Risk(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    school = models.ForeignKey("people.School", on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="concerns")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now, db_index=True)
    what_happened = models.TextField()
    happened_at = models.DateTimeField("when it happened")
    where = models.CharField(max_length=200)
    done_already = models.TextField("what was done already", blank=True)
    dsl_told_verbally = models.BooleanField("a DSL was told in person", default=False)
    immediate_danger = models.BooleanField("someone is in immediate danger", default=False)
    # Online concerns.
    platform = models.CharField("platform or app", max_length=100, blank=True)
    handles = models.TextField("account handles involved", blank=True)
    reported_to_platform = models.BooleanField(default=False)
    reported_to_ceop = models.BooleanField("reported to CEOP", default=False)
    # Routing and triage (copied from the category at report time: a later edit of the
    # category does not change who may see an existing concern).
    is_staff_case = models.BooleanField(default=False)
    is_about_head = models.BooleanField(default=False)
    #: An online-safety concern (the OSL sees it): the category's `is_online` when the
    #: concern was made (`save`).
    is_online = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    risk_level = models.CharField(max_length=6, choices=Risk.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    routed_to = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    deadline = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(
        default=0, help_text="How many steps up the escalation chain it has gone untriaged."
    )
    read_at = models.DateTimeField(null=True, blank=True)
    first_read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Closure (KCSIE record keeping: decision, reason, outcome).
    closed_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(blank=True)
    closure_reason = models.TextField(blank=True)
    outcome = models.TextField(blank=True)
    lessons_learnt = models.TextField(blank=True)
    #: For an allegation about staff, the finding (KCSIE part 4). A malicious allegation is
    #: removed from the records by the retention job, with the DSL's approval.
    finding = models.CharField(max_length=16, choices=Finding.choices, blank=True)
    # Withdrawal (`incidents.services.concern_withdraw`): who, when, why, and the concern it
    # duplicates, if one was given.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_as = models.CharField(max_length=10, choices=Withdrawal.choices, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    history = HistoricalRecords(excluded_fields=["read_at", "first_read_by"])

    objects = ConcernQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at"]
        indexes = [
            models.Index(fields=["school", "status", "deadline"]),
            models.Index(fields=["school", "status", "closed_at"]),
            models.Index(fields=["school", "reporter"]),
            # The termly reports read a school's concerns of a few terms by report date, and
            # join their referrals, actions and triage to them: with what those joins read
            # included, from the index alone (each of the three ~10 ms -> ~5 ms on the bench:
            # the heap of 10,000 concerns was read row by row, or hashed whole).
            models.Index(
                fields=["school", "reported_at"],
                include=["id", "status", "category", "deadline"],
                name="concern_school_reported",
            ),
        ]

    def __str__(self):
        return f"Concern #{self.pk}"

    def clean(self):
        # Nothing is reported before it happens: a time to come is a slip (a year mistyped).
        if self.happened_at and is_future(self.happened_at):
            raise ValidationError(
                {"happened_at": "This is in the future: give the date and time it happened."}
            )

    @property
    def earliest_record(self):
        """The earliest a referral or contact about this concern may be dated: the start of
        the day it happened (or was reported, if that is given as earlier). A call made
        before the report was typed in is plausible; one before the events is a slip."""
        first = timezone.localtime(min(self.happened_at, self.reported_at))
        return first.replace(hour=0, minute=0, second=0, microsecond=0)

    def save(self, *args, **kwargs):
        # Copied here, not by the routing, so that every way a concern is made (a report, a
        # transfer or an import from another system) copies it: who may see a concern is
        # what its category said when it was made, not what it says after a later edit.
        if self._state.adding and self.category_id is not None:
            self.is_online = self.category.is_online
        super().save(*args, **kwargs)

    @property
    def is_closed(self):
        return self.status == self.Status.CLOSED

    @property
    def is_withdrawn(self):
        return self.status == self.Status.WITHDRAWN

    @property
    def is_ended(self):
        """Closed or withdrawn: it takes no more information, entries or changes."""
        return self.status in self.ENDED

    @property
    def ended_message(self) -> str:
        """What a change refused on an ended concern says."""
        if self.is_withdrawn:
            return "This concern was withdrawn. Report a new concern if something new happened."
        return "This concern is closed. Report a new concern instead."

    @property
    def is_overdue(self):
        return (
            self.status == self.Status.NEW
            and self.deadline is not None
            and self.deadline < timezone.now()
        )

    @property
    def subject_staff_ids(self) -> set[int]:
        """The staff named as a subject of this concern (a child of concern or the alleged,
        not a witness): it is never routed to them, told to them or shown to them."""
        return set(self.involvements.subject_staff().values_list("staff_id", flat=True))

    @cached_property
    def referral_entries(self) -> list["Entry"]:
        """The entries that record a referral (`Entry.RECORDS_REFERRAL`), prefetched by
        `Concern.objects.with_referral_entries()`."""
        return list(self.entries.filter(kind__in=Entry.RECORDS_REFERRAL))

    @property
    def referrals_pending(self) -> list[str]:
        """The referrals the category requires that the timeline does not record yet, in
        the order of `Referral` (what each entry records: `Entry.recorded_referral`)."""
        required = set(self.category.required_referrals or [])
        recorded = {entry.recorded_referral for entry in self.referral_entries}
        return [r for r in Referral.values if r in required and r not in recorded]

    def mark_read(self, user) -> bool:
        """The first view by someone other than the reporter marks it read."""
        if self.read_at is not None or user.pk == self.reporter_id:
            return False
        updated = Concern.objects.filter(pk=self.pk, read_at__isnull=True).update(
            read_at=timezone.now(), first_read_by=user
        )
        if updated:
            self.refresh_from_db(fields=["read_at", "first_read_by"])
        return bool(updated)


class InvolvementQuerySet(models.QuerySet):
    def subject_staff(self):
        """Staff members named as a subject (`Involvement.SUBJECT_PARTS`)."""
        return self.filter(is_subject=True, staff__isnull=False)


class Involvement(models.Model):
    """A person involved in a concern: a learner or staff member from the school's records,
    or a visitor or parent/carer typed in by name."""

    class Kind(models.TextChoices):
        LEARNER = "learner", "Learner"
        STAFF = "staff", "Staff member"
        VISITOR = "visitor", "Visitor"
        PARENT = "parent", "Parent/carer"

    class Part(models.TextChoices):
        CHILD = "child", "Child of concern"
        ALLEGED = "alleged", "Alleged perpetrator"
        WITNESS = "witness", "Witness"
        OTHER = "other", "Other"

    #: The parts that make someone a subject of the concern (a witness is not).
    SUBJECT_PARTS = frozenset({Part.CHILD, Part.ALLEGED})

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="involvements")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    learner = models.ForeignKey(
        "people.Learner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=200, blank=True, help_text="For visitors and parents.")
    part = models.CharField(max_length=8, choices=Part.choices)
    is_subject = models.BooleanField(default=False)
    history = HistoricalRecords()

    objects = InvolvementQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["staff", "is_subject"])]

    def __str__(self):
        return f"{self.display_name} ({self.get_part_display().lower()})"

    def save(self, *args, **kwargs):
        self.is_subject = self.part in self.SUBJECT_PARTS
        super().save(*args, **kwargs)

    @property
    def display_name(self):
        if self.learner_id:
            return self.learner.name
        if self.staff_id:
            return self.staff.get_full_name() or self.staff.get_username()
        return self.name

    def clean(self):
        given = {
            # A learner not chosen from the records (by someone who may not look learners
            # up, or not found) is kept by the name typed, for the DSL to link.
            self.Kind.LEARNER: self.learner_id or self.name,
            self.Kind.STAFF: self.staff_id,
        }.get(self.kind, self.name)
        if not given:
            raise ValidationError("Say who: choose a learner or staff member, or type a name.")


class EntryQuerySet(models.QuerySet):
    def recording_referrals(self):
        """The entries that record a referral (`Entry.RECORDS_REFERRAL`), each annotated
        with `recorded`: the referral it records (as `Entry.recorded_referral`)."""
        return self.filter(kind__in=Entry.RECORDS_REFERRAL).annotate(
            recorded=models.Case(
                models.When(
                    kind=Entry.Kind.PARENT_CONTACT, then=models.Value(Referral.PARENTS.value)
                ),
                default=models.F("referral"),
            )
        )

    def actions_open(self):
        """Actions given to someone and not done, on concerns not closed or withdrawn."""
        return self.filter(
            kind=Entry.Kind.ACTION, assignee__isnull=False, action_done=False
        ).exclude(concern__status__in=Concern.ENDED)


class Entry(models.Model):
    """One line of a concern's timeline. Entries are added, never edited by a user."""

    class Kind(models.TextChoices):
        ADDITION = "addition", "Information added"
        TRIAGE = "triage", "Triage decision"
        ACTION = "action", "Action"
        REFERRAL = "referral", "Referral"
        PARENT_CONTACT = "parent_contact", "Contact with parents/carers"
        NOTE = "note", "Note"
        CLOSURE = "closure", "Closed"
        ESCALATED = "escalated", "Escalated (not triaged in time)"
        WITHDRAWAL = "withdrawal", "Withdrawn"

    #: What the reporter sees of the timeline (never triage notes); an action given to them
    #: is shown to them too (`incidents.services.concern_page`).
    REPORTER_KINDS = frozenset({Kind.ADDITION, Kind.WITHDRAWAL})
    #: The entries that record a referral the category may require. Contact with the
    #: parents/carers records "Parents/carers informed" (`Referral.PARENTS`): whether they
    #: were told, or why not (the form asks for one or the other; the routing table asks for
    #: it "as appropriate"), so that staff never record the same thing twice.
    RECORDS_REFERRAL = frozenset({Kind.REFERRAL, Kind.PARENT_CONTACT})

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True)
    # Triage.
    risk_level = models.CharField(max_length=6, choices=Concern.Risk.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Action: given to someone who may see the concern (`incidents.visibility.
    # action_candidates`), due on a day, marked done by them or the concern's owner.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="who",
    )
    #: Who, typed as free text, before actions were given to a person: kept as written on
    #: the actions recorded then (an entry is never rewritten), no longer asked for.
    action_by = models.CharField("who (as typed)", max_length=200, blank=True)
    action_due = models.DateField("due", null=True, blank=True)
    action_done = models.BooleanField("done", default=False)
    action_done_at = models.DateTimeField(null=True, blank=True)
    action_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Referral.
    referral = models.CharField(max_length=12, choices=Referral.choices, blank=True)
    police_reference = models.CharField(max_length=100, blank=True)
    referred_at = models.DateTimeField("date and time", null=True, blank=True)
    referral_outcome = models.TextField("outcome", blank=True)
    # Contact with parents/carers.
    contact_who = models.CharField("who was told", max_length=200, blank=True)
    contact_how = models.CharField("how", max_length=100, blank=True)
    not_told_reason = models.TextField("why not told", blank=True)
    history = HistoricalRecords()

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "entries"
        indexes = [
            models.Index(fields=["assignee", "action_done"]),
            # A concern's first triage (the reports' time to triage): one index entry per
            # concern instead of reading all of its entries.
            models.Index(
                fields=["concern", "at"],
                condition=models.Q(kind="triage"),
                name="entry_first_triage",
            ),
            # The governors' report: the actions of a term (by when they were given), and the
            # entries that record a referral, read from the index alone (not every entry).
            models.Index(fields=["at"], condition=models.Q(kind="action"), name="entry_action_at"),
            models.Index(
                fields=["concern"],
                include=["kind", "referral", "referred_at", "at"],
                condition=models.Q(kind__in=["referral", "parent_contact"]),
                name="entry_records_referral",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} on concern #{self.concern_id}"

    def clean(self):
        """A referral or contact with the parents/carers is dated when it was made: not
        before its concern (`Concern.earliest_record`), not in the future. Either slip would
        clear "referral pending" and count in the governors' figures as made in time."""
        if self.referred_at is None or self.concern_id is None:
            return
        earliest = self.concern.earliest_record
        if self.referred_at < earliest:
            problem = (
                f"This is before the concern happened (on {earliest:%-d %B %Y}): check the date."
            )
        elif is_future(self.referred_at):
            problem = "This is in the future: give the date and time it was done."
        else:
            return
        raise ValidationError({"referred_at": problem})

    @property
    def recorded_referral(self) -> str:
        """The referral this entry records ("" for none): see `RECORDS_REFERRAL`."""
        if self.kind == self.Kind.PARENT_CONTACT:
            return Referral.PARENTS
        return self.referral if self.kind == self.Kind.REFERRAL else ""


def evidence_path(instance, filename):
    return f"evidence/{instance.concern.school_id}/{instance.concern_id}/{filename}"


class EvidenceQuerySet(SchoolScopedQuerySet):
    school_field = "concern__school"


class Evidence(models.Model):
    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, storage=private_storage, max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name_plural = "evidence"

    def __str__(self):
        return self.original_name


class FilteringReview(models.Model):
    """The annual review of the school's web filtering and monitoring (DfE "Filtering and
    monitoring standards for schools and colleges"; KCSIE: the DSL takes lead responsibility).
    The standards ask for one at least every year, and whenever something changes (a new
    provider, a new risk, a safeguarding concern): a school may record several in a year.
    Nothing in it names a child, so governors (strategic responsibility) may read it."""

    #: The longest gap the standards allow between two reviews.
    MAX_MONTHS = 12

    class Monitoring(models.TextChoices):
        SUPERVISION = "supervision", "Physical supervision only"
        NETWORK = "network", "Network monitoring (reports or alerts from the filtering system)"
        SOFTWARE = "software", "Monitoring software on school devices"
        MIXED = "mixed", "A mix of the above"

    school = models.ForeignKey("people.School", on_delete=models.CASCADE, related_name="+")
    reviewed_on = models.DateField("Date of the review")
    dsl = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="Designated Safeguarding Lead who took part",
    )
    senior_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="Senior leader who took part",
    )
    it_provider = models.CharField(
        "IT service provider who took part", max_length=200, help_text="Name and company."
    )
    others = models.CharField("Others who took part", max_length=300, blank=True)
    filtering_provider = models.CharField("Filtering provider and product", max_length=200)
    blocked = models.TextField(
        "What the filtering blocks",
        help_text="Categories blocked (e.g. illegal content on the IWF and CTIRU lists, "
        "pornography, self-harm, extremism, gambling) and for whom (pupils, staff, guests).",
    )
    monitoring = models.CharField(
        "How activity is monitored", max_length=20, choices=Monitoring.choices
    )
    monitoring_notes = models.TextField(
        "Monitoring: who sees the alerts and how quickly", blank=True
    )
    tested = models.BooleanField(
        "The filtering and monitoring were tested", default=False,
        help_text="E.g. with the SWGfL test, on each kind of device and network.",
    )  # fmt: skip
    test_notes = models.TextField("How it was tested and what was found", blank=True)
    actions = models.TextField(
        "Actions arising", blank=True, help_text="Who does what, by when. 'None' if none."
    )
    next_review_on = models.DateField(
        "Next review", help_text="At most 12 months after this one; earlier after any change."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = SchoolScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-reviewed_on", "-recorded_at"]
        indexes = [models.Index(fields=["school", "-reviewed_on"])]

    def __str__(self):
        return f"Filtering and monitoring review of {self.reviewed_on:%-d %B %Y}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("incidents:filtering_detail", args=[self.pk])

    def clean(self):
        from policies.models import add_months

        problems = {}
        if self.reviewed_on and self.next_review_on:
            if self.next_review_on <= self.reviewed_on:
                problems["next_review_on"] = "The next review must be after this one."
            elif self.next_review_on > add_months(self.reviewed_on, self.MAX_MONTHS):
                problems["next_review_on"] = (
                    "The standards ask for a review at least every year: choose a date at "
                    "most 12 months after this one."
                )
        if self.tested is False and not self.actions.strip():
            problems["actions"] = (
                "It was not tested: say what will be done about that (and by when)."
            )
        if problems:
            raise ValidationError(problems)

    def is_overdue(self, today) -> bool:
        return self.next_review_on < today
