"""Test data, one module for every app: factory_boy factories for single rows, and functions
that make a record through the app's own services (so it is routed, numbered and logged as in
use) or by hand with exact times (for the governors' report, where every figure has a known
answer)."""

from datetime import date, datetime, timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from devices import services as devices_services
from devices.models import (
    Confiscation,
    CurriculumUseRequest,
    CustodyState,
    DayReconciliation,
    Handover,
    LearnerExemption,
    StaffException,
)
from incidents.models import Category, Concern, Entry
from incidents.routing import categories_seed
from incidents.services import concern_report
from people.calendar import SchoolCalendar
from people.models import Guardian, Guardianship, Learner, Membership, School, Term, Trust
from policies.models import Policy, PolicyVersion, TrainingSession

# -- People: trusts, schools, terms, staff and learners --------------------------------------


class TrustFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trust

    name = factory.Sequence(lambda n: f"Trust {n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"School {n}")
    urn = factory.Sequence(lambda n: f"{800000 + n}")


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term

    school = factory.SubFactory(SchoolFactory)
    season = "autumn"
    starts_on = date(2026, 9, 2)
    ends_on = date(2026, 12, 18)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_GB")
    last_name = factory.Faker("last_name", locale="en_GB")
    email = factory.LazyAttribute(lambda u: f"{u.username}@school.example")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    roles = ["staff"]


class LearnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Learner

    school = factory.SubFactory(SchoolFactory)
    legal_first_name = factory.Faker("first_name", locale="en_GB")
    legal_last_name = factory.Faker("last_name", locale="en_GB")
    year_group = "5"
    class_name = "Oak"
    upn = factory.Sequence(lambda n: f"A{n:012d}")
    date_of_birth = date(2015, 10, 1)


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    school = factory.SubFactory(SchoolFactory)
    name = factory.Faker("name", locale="en_GB")
    phone = "07700 900000"
    email = factory.Sequence(lambda n: f"parent{n}@example.org")


class GuardianshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardianship

    learner = factory.SubFactory(LearnerFactory)
    guardian = factory.SubFactory(GuardianFactory, school=factory.SelfAttribute("..learner.school"))
    relationship = "Mother"
    may_collect = True


# -- Policies ----------------------------------------------------------------------------------

POLICY_BODY = """## 1. Policy aims

- Staff keep phones in a safe place during lessons. Phones are switched to silent.
- Learners hand their phones in at the office.
"""


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Policy

    school = factory.SubFactory(SchoolFactory)
    title = factory.Sequence(lambda n: f"Policy {n}")
    slug = factory.LazyAttribute(lambda p: p.title.lower().replace(" ", "-"))
    body = POLICY_BODY
    status = Policy.Status.DRAFT


def ratified_policy(school, *, ratified_on=date(2026, 2, 1), body=POLICY_BODY, **kwargs) -> Policy:
    """A ratified policy with its first version."""
    policy = PolicyFactory(
        school=school,
        body=body,
        status=Policy.Status.RATIFIED,
        ratified_on=ratified_on,
        next_review_on=date(ratified_on.year + 1, ratified_on.month, ratified_on.day),
        **kwargs,
    )
    PolicyVersion.objects.create(
        policy=policy, number=1, body=body, ratified_on=ratified_on, ratified_by="Governing Body"
    )
    return policy


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    school = factory.SubFactory(SchoolFactory)
    title = "Online safety refresher"
    held_on = date(2026, 1, 5)
    topic = TrainingSession.Topic.ONLINE_SAFETY


# -- Concerns, reported through the real service (so they are routed) ---------------------------


def category(school, key) -> Category:
    return Category.objects.get(school=school, key=key)


def report(school, reporter, key="social_media", people=(), when=None, **data) -> Concern:
    """Report a concern of category `key`. `people` is a list of (learner or user or name,
    part) pairs."""
    involvements = []
    for who, part in people:
        if isinstance(who, str):
            involvements.append({"kind": "visitor", "name": who, "part": part})
        elif hasattr(who, "upn"):
            involvements.append({"kind": "learner", "learner": who, "part": part})
        else:
            involvements.append({"kind": "staff", "staff": who, "part": part})
    fields = {
        "category": category(school, key),
        "what_happened": "Amelia said an older boy messaged her on a game.",
        "happened_at": (when or timezone.now()) - timedelta(hours=1),
        "where": "Classroom",
        **data,
    }
    if when is not None:
        fields["reported_at"] = when
    return concern_report(school=school, reporter=reporter, data=fields, involvements=involvements)


def learner_concern(world, reporter=None):
    return report(
        world.school,
        reporter or world.users["teacher"],
        "social_media",
        people=[(world.learner, "child")],
    )


def staff_allegation(world, reporter=None, about=None):
    return report(
        world.school,
        reporter or world.users["office"],
        "staff_online_conduct",
        people=[(about or world.users["leadership"], "alleged")],
    )


def head_allegation(world, reporter=None):
    return report(
        world.school,
        reporter or world.users["teacher"],
        "about_head",
        people=[(world.users["head"], "alleged")],
    )


# -- Devices: confiscations, collectors, exemptions -----------------------------------------------


def confiscation(learner=None, by=None, **kwargs):
    """A phone confiscated just now, through the service (as a teacher would)."""
    learner = learner or LearnerFactory()
    return devices_services.confiscation_record(
        learner=learner,
        device=kwargs.pop("device", "Black iPhone"),
        reason=kwargs.pop("reason", "Filming in the playground"),
        by=by or UserFactory(),
        held_at=kwargs.pop("held_at", "Classroom drawer"),
    )


def secured(learner=None, by=None):
    c = confiscation(learner, by)
    devices_services.confiscation_move(
        confiscation=c, to_state=CustodyState.SECURED, by=c.confiscated_by, location="Office safe"
    )
    c.refresh_from_db()
    return c


def collector(learner, may_collect=True, **kwargs):
    return GuardianshipFactory(learner=learner, may_collect=may_collect, **kwargs).guardian


def exemption(learner, by, decided_by, **kwargs):
    return LearnerExemption.objects.create(
        school=learner.school,
        learner=learner,
        requested_by=by,
        reason=LearnerExemption.Reason.MEDICAL,
        details="Glucose monitor app",
        review_on=kwargs.pop("review_on", SchoolCalendar.today() + timedelta(days=30)),
        status="approved",
        decided_by=decided_by,
        **kwargs,
    )


# -- Reports: hand-built records with exact times (London), so every figure has a known answer --

#: Summer 2026 is the term under test; its span starts the day after spring ends (28 March).
TERMS = [
    ("summer", date(2025, 4, 22), date(2025, 7, 22)),
    ("autumn", date(2025, 9, 3), date(2025, 12, 19)),
    ("spring", date(2026, 1, 5), date(2026, 3, 27)),
    ("summer", date(2026, 4, 13), date(2026, 7, 21)),
    ("autumn", date(2026, 9, 2), date(2026, 12, 18)),
]


def london(y, m, d, hh=12, mm=0) -> datetime:
    return timezone.make_aware(datetime(y, m, d, hh, mm))


def school_with_terms(**kwargs):
    school = SchoolFactory(**kwargs)
    for season, start, end in TERMS:
        Term.objects.create(school=school, season=season, starts_on=start, ends_on=end)
    categories_seed(school=school)
    return school


def terms_of(school):
    return list(Term.objects.filter(school=school).order_by("starts_on"))


def term(school, season, year):
    return Term.objects.get(school=school, season=season, starts_on__year=year)


def concern(
    school,
    key="social_media",
    at=None,
    *,
    triage_after: timedelta | None = None,
    deadline_after=timedelta(days=1),
    text="Nothing identifying",
    **fields,
) -> Concern:
    """A concern of category `key` reported `at`, with a deadline `deadline_after` later and
    a triage entry `triage_after` later (none if None)."""
    at = at or timezone.now()
    category = Category.objects.get(school=school, key=key)
    made = Concern.objects.create(
        school=school,
        category=category,
        reported_at=at,
        happened_at=at - timedelta(hours=1),
        what_happened=text,
        where="Playground",
        deadline=at + deadline_after,
        is_staff_case=category.is_staff_case,
        is_about_head=category.is_about_head,
        **fields,
    )
    if triage_after is not None:
        Entry.objects.create(
            concern=made, kind=Entry.Kind.TRIAGE, at=at + triage_after, risk_level="low"
        )
    return made


def referral(concern_, kind, after: timedelta, **fields):
    return Entry.objects.create(
        concern=concern_,
        kind=Entry.Kind.REFERRAL,
        referral=kind,
        at=concern_.reported_at + after,
        referred_at=concern_.reported_at + after,
        **fields,
    )


def handovers(school, day: date, n: int, *, uncollected=0, by=None):
    by = by or UserFactory()
    rows = []
    for i in range(n):
        learner = LearnerFactory(school=school)
        in_at = timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(
            hours=8, minutes=i
        )
        rows.append(
            Handover.objects.create(
                school=school,
                learner=learner,
                school_day=day,
                in_at=in_at,
                received_by=by,
                out_at=None if i < uncollected else in_at + timedelta(hours=7),
                collected_by_learner=i >= uncollected,
            )
        )
    return rows


def reconciled(school, day, by=None):
    return DayReconciliation.objects.create(
        school=school, school_day=day, reconciled_by=by or UserFactory()
    )


def confiscation_at(school, at, state=CustodyState.SECURED, reason="Filming"):
    """A confiscation made by hand at `at`, in `state` (for the report's figures)."""
    return Confiscation.objects.create(
        school=school,
        learner=LearnerFactory(school=school),
        device="Phone",
        reason=reason,
        confiscated_by=UserFactory(),
        confiscated_at=at,
        held_at="Office safe",
        state=state,
    )


def staff_exception(school, decided_at, status="approved", kind="device"):
    return StaffException.objects.create(
        school=school,
        requested_by=UserFactory(),
        kind=kind,
        details="Details",
        status=status,
        decided_by=UserFactory(),
        decided_at=decided_at,
    )


def curriculum_request(school, decided_at, status="approved"):
    return CurriculumUseRequest.objects.create(
        school=school,
        requested_by=UserFactory(),
        activity="Photography",
        date=decided_at.date(),
        class_name="Oak",
        risks="Risks",
        controls="Controls",
        status=status,
        decided_by=UserFactory(),
        decided_at=decided_at,
    )


def staff(school, n, roles=("staff",)):
    return [MembershipFactory(school=school, roles=list(roles)).user for _ in range(n)]


def concern_form(school, **fields) -> dict:
    """What the concern form posts: a staff-contact concern, no one named; `fields` override."""
    return {
        "category": category(school, "staff_contact").pk,
        "immediate_danger": "False",
        "what_happened": "A parent messaged me on Instagram about a trip.",
        "happened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "where": "At home",
        "people-TOTAL_FORMS": "0",
        "people-INITIAL_FORMS": "0",
        **fields,
    }
