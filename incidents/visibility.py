"""Who may see which concern, in one place (DESIGN.md, "Roles and what they may see").

- The reporter sees their own report (what they wrote, its status, that it was read, the
  information they added) but no triage notes.
- DSL and deputy DSL: every concern of the school except staff allegations not routed to them.
- Headteacher: every concern except allegations about the headteacher.
- Online Safety Lead: online-safety concerns about learners and visitors (not staff cases).
- Chair of governors: allegations about the headteacher.
- Anyone with a triage role that a concern was routed or escalated to.
- Nobody sees a concern in which they are named as a subject.
- Everyone else (office, staff, leadership, governors, admin) sees only their own reports.

`concerns_triaged_by(user)` is the full view (timeline, triage, referrals);
`concerns_visible_to(user)` adds the user's own reports (the reporter's view).

Secrecy is one rule (DESIGN.md): some concerns must not even be *known* to a person — those
naming them as a subject, and, for a headteacher, allegations about the headteacher. They are
*concealed* from that person: not only unopenable but absent from every derived view (report
figures, counts, confiscations and custody linked to them, chronologies, retention lists,
numbering). `concealed_q(user)` says which; `without_concealed(queryset, user, concern=...)`
drops the rows of any model that hang from such a concern. Every derived view asks these two.
`concealed_from_someone_q()` is the same rule for no one in particular: what a record that
leaves the school (a transfer) must not carry, since the concealment cannot go with it.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from incidents.models import Concern, Evidence, Involvement
from roper.permissions import holders_roles, roles_by_school
from roper.roles import Role, roles_holding

R = Role

#: {school id: roles} of one user: theirs (`roles_by_school`) unless given.
Roles = dict[int, frozenset[str]] | None


def _schools(user, roles: Roles, *wanted) -> list[int]:
    held_by_school = roles_by_school(user) if roles is None else roles
    return [sid for sid, held in held_by_school.items() if held & set(wanted)]


def _names_staff(**which) -> Exists:
    """The concern names a member of staff as a subject (`which`: a given one, or any)."""
    return Exists(Involvement.objects.subject_staff().filter(concern=OuterRef("pk"), **which))


def concealed_q(user, roles: Roles = None) -> Q:
    """The concerns whose very existence must not reach `user`: those naming them as a
    subject, and allegations about the headteacher for a headteacher of that school."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    q = Q(_names_staff(staff_id=user.pk))
    heads = _schools(user, roles, R.HEADTEACHER)
    if heads:
        q |= Q(school_id__in=heads, is_about_head=True)
    return q


def concealed_from_someone_q() -> Q:
    """The concerns `concealed_q` conceals from at least one person, whoever they are: those
    naming a member of staff as a subject, and allegations about the headteacher. What
    leaves the school without its accounts (a transfer: transfers/package.py) leaves them
    out, since the concealment could not follow them."""
    return Q(_names_staff()) | Q(is_about_head=True)


def without_concealed(queryset: QuerySet, user, concern: str = "pk") -> QuerySet:
    """`queryset` without the rows concealed from `user`. `concern` is the field holding the
    concern's id (`pk` for concerns themselves, `concern` for a confiscation, an entry or a
    piece of evidence); rows with no concern are kept."""
    if user is None or not getattr(user, "is_authenticated", False):
        return queryset
    if concern == "pk":
        return queryset.exclude(concealed_q(user))
    hidden = Concern.objects.filter(concealed_q(user), pk=OuterRef(concern))
    return queryset.exclude(Exists(hidden))


def is_concealed(user, concern_id: int | None) -> bool:
    if concern_id is None:
        return False
    return Concern.objects.filter(concealed_q(user), pk=concern_id).exists()


def full_access_q(user, roles: Roles = None) -> Q:
    routed = Exists(
        Concern.routed_to.through.objects.filter(concern_id=OuterRef("pk"), user_id=user.pk)
    )
    q = Q(pk__in=[])
    dsl = _schools(user, roles, R.DSL, R.DEPUTY_DSL)
    if dsl:
        # A staff allegation only when routed to them. Every concern is routed to the DSL, so
        # "routed to them" as an EXISTS was read by PostgreSQL as a hash of every concern of
        # the school's history, in each query of a page; looked up for the staff allegations
        # alone (a scalar subquery is never hashed, and is reached only when the concern is
        # one), it reads a row or two a page.
        routed_staff = Concern.routed_to.through.objects.filter(
            concern_id=OuterRef("pk"), user_id=user.pk
        ).values("concern_id")[:1]
        q |= Q(school_id__in=dsl) & (Q(is_staff_case=False) | Q(pk=Subquery(routed_staff)))
    head = _schools(user, roles, R.HEADTEACHER)
    if head:
        q |= Q(school_id__in=head, is_about_head=False)
    osl = _schools(user, roles, R.OSL)
    if osl:
        q |= Q(school_id__in=osl, is_online=True, is_staff_case=False)
    chair = _schools(user, roles, R.CHAIR)
    if chair:
        q |= Q(school_id__in=chair, is_about_head=True)
    # Whoever a concern was routed or escalated to (e.g. the chair, for an untriaged staff
    # allegation) sees it, if they hold a triage role there.
    triage = sorted(set(_schools(user, roles, *roles_holding("incidents.triage"))) - set(dsl))
    if triage:
        q |= Q(school_id__in=triage) & routed
    return q


def concerns_triaged_by(user, roles: Roles = None) -> QuerySet:
    """Concerns the user sees in full (and may triage)."""
    if not getattr(user, "is_authenticated", False):
        return Concern.objects.none()
    return Concern.objects.filter(full_access_q(user, roles)).exclude(concealed_q(user, roles))


def concerns_visible_to(user) -> QuerySet:
    """Concerns the user may open at all: those above and their own reports."""
    if not getattr(user, "is_authenticated", False):
        return Concern.objects.none()
    own = Q(reporter_id=user.pk, school_id__in=list(roles_by_school(user)))
    return Concern.objects.filter(full_access_q(user) | own).exclude(concealed_q(user))


def can_triage(user, concern: Concern) -> bool:
    return concerns_triaged_by(user).filter(pk=concern.pk).exists()


def can_see(user, concern: Concern) -> bool:
    return concerns_visible_to(user).filter(pk=concern.pk).exists()


def can_download(user, evidence: Evidence) -> bool:
    """Evidence is for those who see its concern in full, and for whoever uploaded it while
    they may open the concern (the concern's page lists the same: `concern_page`)."""
    concern = evidence.concern
    return can_triage(user, concern) or (
        evidence.uploaded_by_id == user.pk and can_see(user, concern)
    )


def triage_candidates(concern: Concern) -> list:
    """Who may be given `concern` to own: those who hold a triage role in its school or
    trust and see it in full, by the rule of `concerns_triaged_by`. Two queries however
    many they are: their roles in the school, then the rule for them all (a concern's
    school is the only one whose roles bear on it)."""
    candidates = holders_roles(concern.school, "incidents.triage")
    if not candidates:
        return []
    checks = {
        f"user_{user.pk}": Exists(
            concerns_triaged_by(user, {concern.school_id: roles}).filter(pk=concern.pk)
        )
        for user, roles in candidates.items()
    }
    row = Concern.objects.filter(pk=concern.pk).values(**checks).first() or {}
    return [user for user in candidates if row.get(f"user_{user.pk}")]


def action_candidates(concern: Concern, triagers: list | None = None) -> list:
    """Who may be given an action on `concern`: those who may be given it to own
    (`triage_candidates`, or `triagers` when already read), and its reporter while they may
    open it (they see the actions given to them). Never a subject of the concern: the rule
    of `concerns_visible_to` keeps them out."""
    people = list(triage_candidates(concern) if triagers is None else triagers)
    reporter = concern.reporter
    if (
        reporter is not None
        and reporter.is_active
        and all(u.pk != reporter.pk for u in people)
        and can_see(reporter, concern)
    ):
        people.append(reporter)
    return sorted(people, key=lambda u: (u.last_name, u.first_name, u.username))


def may_mark_done(user, action) -> bool:
    """An action is marked done by whoever it was given to, or by the concern's owner (by
    whoever sees the concern in full while it has no owner)."""
    concern = action.concern
    if user.pk in (action.assignee_id, concern.owner_id):
        return True
    return concern.owner_id is None and can_triage(user, concern)
