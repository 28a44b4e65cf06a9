from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from incidents.models import Category, Concern
from incidents.routing import DEFAULT_CATEGORIES, categories_seed, escalation_chain
from incidents.visibility import can_see
from people.calendar import SchoolCalendar
from roper.models import Notification
from roper.reminders import email_pending_notifications
from tests.factories import SchoolFactory, TermFactory, report

LONDON = ZoneInfo("Europe/London")

# One row per line of DESIGN.md's routing table (plus the UKCIS sexual-images category):
# category key, owner persona, informed personas, triage minutes (None: counted in days).
ROUTING_TABLE = [
    ("device_misuse", "dsl", {"osl"}, None),
    ("illegal_material", "dsl", {"osl", "head"}, 60),
    ("sexual_images", "dsl", {"head"}, 60),
    ("social_media", "dsl", {"osl"}, None),
    ("abusive_messages", "dsl", {"osl"}, None),
    ("visitor_breach", "dsl", {"osl"}, None),
    ("staff_contact", "dsl", set(), None),
    ("staff_breach", "head", set(), None),
    ("staff_online_conduct", "head", {"dsl"}, None),
    ("staff_illegal", "head", {"dsl"}, 60),
    ("about_head", "chair", set(), None),
    ("immediate_danger", "dsl", {"head"}, 15),
    # KCSIE 2025/2026 (docs/kcsie-2026-categories.md): child-on-child abuse, AI imagery and
    # the online harms go to the DSL.
    ("child_on_child", "dsl", set(), 60),
    ("ai_imagery", "dsl", {"osl"}, 60),
    ("sextortion", "dsl", {"head"}, 60),
    ("online_contact", "dsl", {"osl"}, 60),
    ("harmful_content", "dsl", {"osl"}, None),
    ("online_commerce", "dsl", {"osl"}, None),
    ("radicalisation", "dsl", {"head"}, None),
    ("monitoring_alert", "dsl", {"osl"}, None),
]


# DESIGN.md's routing table as data: category key, owner role, informed roles, required
# referrals, triage deadline (amount, unit), and the escalation chain above the owner
# (DSL -> deputy DSL -> headteacher; staff cases headteacher -> chair of governors).
DSL, DEPUTY, HEAD, OSL, CHAIR = "dsl", "deputy_dsl", "headteacher", "osl", "chair_of_governors"
DESIGN_ROUTING = [
    ("device_misuse", DSL, [OSL], ["parents"], (1, "school_days"), [DEPUTY, HEAD]),
    ("illegal_material", DSL, [OSL, HEAD], ["police"], (60, "minutes"), [DEPUTY, HEAD]),
    ("sexual_images", DSL, [HEAD], ["police", "social_care"], (60, "minutes"), [DEPUTY, HEAD]),
    ("social_media", DSL, [OSL], ["parents"], (1, "school_days"), [DEPUTY, HEAD]),
    ("abusive_messages", DSL, [OSL], [], (1, "school_days"), [DEPUTY, HEAD]),
    ("visitor_breach", DSL, [OSL], [], (1, "school_days"), [DEPUTY, HEAD]),
    ("staff_contact", DSL, [], [], (1, "school_days"), [DEPUTY, HEAD]),
    ("staff_breach", HEAD, [], [], (1, "school_days"), [CHAIR]),
    ("staff_online_conduct", HEAD, [DSL], ["lado"], (1, "working_days"), [CHAIR]),
    ("staff_illegal", HEAD, [DSL], ["police", "lado"], (60, "minutes"), [CHAIR]),
    ("about_head", CHAIR, [], ["lado"], (1, "working_days"), []),
    ("immediate_danger", DSL, [HEAD], ["police"], (15, "minutes"), [DEPUTY, HEAD]),
    ("child_on_child", DSL, [], [], (60, "minutes"), [DEPUTY, HEAD]),
    ("ai_imagery", DSL, [OSL], [], (60, "minutes"), [DEPUTY, HEAD]),
    ("sextortion", DSL, [HEAD], ["police"], (60, "minutes"), [DEPUTY, HEAD]),
    ("online_contact", DSL, [OSL], [], (60, "minutes"), [DEPUTY, HEAD]),
    ("harmful_content", DSL, [OSL], ["parents"], (1, "school_days"), [DEPUTY, HEAD]),
    ("online_commerce", DSL, [OSL], ["parents"], (1, "school_days"), [DEPUTY, HEAD]),
    ("radicalisation", DSL, [HEAD], [], (1, "school_days"), [DEPUTY, HEAD]),
    ("monitoring_alert", DSL, [OSL], [], (1, "school_days"), [DEPUTY, HEAD]),
]


@pytest.mark.parametrize(
    ("key", "owner", "informed", "referrals", "deadline", "chain"), DESIGN_ROUTING
)
def test_each_category_routes_as_the_design_table_says(
    world, key, owner, informed, referrals, deadline, chain
):
    category = Category.objects.get(school=world.school, key=key)
    assert category.owner_role == owner
    assert category.informed_roles == informed
    assert category.required_referrals == referrals
    assert (category.deadline_amount, category.deadline_unit) == deadline
    concern = Concern(school=world.school, category=category)
    concern.is_staff_case = category.is_staff_case
    concern.is_about_head = category.is_about_head
    assert escalation_chain(concern) == chain


def test_the_design_table_covers_every_default_category():
    assert [row[0] for row in DESIGN_ROUTING] == [row[0] for row in DEFAULT_CATEGORIES]


def test_a_staff_case_with_no_headteacher_goes_to_the_chair_not_the_deputy_dsl(world):
    # DESIGN.md: staff cases escalate headteacher -> chair of governors; the deputy DSL is not
    # in that chain, whether the concern is routed or escalated.
    world.users["head"].is_active = False
    world.users["head"].save(update_fields=["is_active"])
    concern = report(
        world.school,
        world.users["teacher"],
        "staff_breach",
        people=[(world.users["leadership"], "alleged")],
    )
    assert concern.owner == world.users["chair"]
    assert world.users["deputy_dsl"] not in concern.routed_to.all()


def _personas(world, users):
    by_pk = {u.pk: name for name, u in world.users.items()}
    return {by_pk[u.pk] for u in users}


def test_every_default_category_has_a_routing_test():
    assert {row[0] for row in ROUTING_TABLE} == {row[0] for row in DEFAULT_CATEGORIES}


@pytest.mark.parametrize(("key", "owner", "informed", "minutes"), ROUTING_TABLE)
def test_a_report_is_routed_by_its_category(world, key, owner, informed, minutes):
    reporter = world.users["teacher"]
    subject = world.users["head"] if key == "about_head" else world.users["leadership"]
    part = "alleged" if "staff" in key or key == "about_head" else "child"
    who = subject if part == "alleged" else world.learner
    concern = report(world.school, reporter, key, people=[(who, part)])

    assert _personas(world, [concern.owner]) == {owner}
    assert _personas(world, concern.routed_to.all()) == {owner} | informed
    notified = Notification.objects.filter(url=f"/incidents/{concern.pk}/")
    assert _personas(world, [n.recipient for n in notified]) == {owner} | informed
    if minutes:
        assert (concern.deadline - concern.reported_at).total_seconds() == minutes * 60
    else:
        assert concern.deadline > concern.reported_at


def test_notifications_and_emails_carry_no_case_detail(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        concern = report(
            world.school, world.users["teacher"], "social_media", people=[(world.learner, "child")]
        )
    email_pending_notifications(timezone.now())  # with no broker, the reminder run emails them
    texts = [n.title for n in Notification.objects.all()]
    texts += [m.subject + m.body for m in mail.outbox]
    assert mail.outbox, "the DSL and OSL are emailed"
    for text in texts:
        assert "Amelia" not in text and "Khan" not in text and "game" not in text
    assert f"/incidents/{concern.pk}/" in mail.outbox[0].body


def test_an_allegation_naming_the_headteacher_goes_to_the_chair_only(world):
    concern = report(
        world.school,
        world.users["teacher"],
        "staff_breach",
        people=[(world.users["head"], "alleged")],
    )
    assert concern.owner == world.users["chair"]
    assert concern.is_about_head
    assert list(concern.routed_to.all()) == [world.users["chair"]]
    assert not Notification.objects.filter(recipient=world.users["head"]).exists()
    assert not can_see(world.users["head"], concern)
    assert can_see(world.users["chair"], concern)


def test_a_person_named_as_subject_is_never_routed_notified_or_shown_it(world):
    dsl = world.users["dsl"]
    concern = report(
        world.school, world.users["teacher"], "staff_online_conduct", people=[(dsl, "alleged")]
    )
    assert dsl not in concern.routed_to.all()
    assert not Notification.objects.filter(recipient=dsl).exists()
    assert not can_see(dsl, concern)
    assert concern.owner == world.users["head"]


def test_when_the_owner_is_the_subject_it_goes_to_the_deputy_dsl(world):
    dsl = world.users["dsl"]
    concern = report(
        world.school, world.users["teacher"], "staff_contact", people=[(dsl, "alleged")]
    )
    assert concern.owner == world.users["deputy_dsl"]
    assert dsl not in concern.routed_to.all()


def test_a_witness_is_not_a_subject(world):
    dsl = world.users["dsl"]
    concern = report(
        world.school, world.users["teacher"], "social_media", people=[(dsl, "witness")]
    )
    assert concern.owner == dsl
    assert not concern.involvements.get().is_subject


def test_immediate_danger_makes_any_report_urgent(world):
    concern = report(
        world.school,
        world.users["teacher"],
        "social_media",
        immediate_danger=True,
        people=[(world.learner, "child")],
    )
    assert (concern.deadline - concern.reported_at).total_seconds() == 15 * 60
    assert world.users["head"] in concern.routed_to.all()
    assert set(Notification.objects.values_list("urgency", flat=True)) == {"urgent"}


def test_one_working_day_skips_the_weekend_and_a_bank_holiday():
    # Friday 28 August 2026, 15:00; Monday 31 August is the summer bank holiday.
    friday = datetime(2026, 8, 28, 15, 0, tzinfo=LONDON)
    due = SchoolCalendar().deadline(friday, 1, "working_days")
    assert due == datetime(2026, 9, 1, 15, 0, tzinfo=LONDON)


def test_a_lado_deadline_reported_before_a_bank_holiday_weekend(world):
    friday = datetime(2026, 8, 28, 15, 0, tzinfo=LONDON)
    concern = report(
        world.school,
        world.users["teacher"],
        "staff_online_conduct",
        when=friday,
        people=[(world.users["leadership"], "alleged")],
    )
    assert concern.deadline == datetime(2026, 9, 1, 15, 0, tzinfo=LONDON)


@pytest.mark.django_db
def test_school_days_skip_the_holidays_between_terms():
    school = SchoolFactory()
    TermFactory(
        school=school, starts_on=datetime(2026, 9, 2).date(), ends_on=datetime(2026, 12, 18).date()
    )
    TermFactory(
        school=school,
        season="spring",
        starts_on=datetime(2027, 1, 4).date(),
        ends_on=datetime(2027, 3, 26).date(),
    )
    last_day = datetime(2026, 12, 18, 10, 0, tzinfo=LONDON)
    calendar = SchoolCalendar(school)
    assert calendar.add_school_days(last_day, 1) == datetime(2027, 1, 4, 10, 0, tzinfo=LONDON)
    assert calendar.add_working_days(last_day, 1) == datetime(2026, 12, 21, 10, 0, tzinfo=LONDON)


@pytest.mark.django_db
def test_a_new_school_gets_the_default_categories_once():
    school = SchoolFactory()
    assert Category.objects.filter(school=school).count() == len(DEFAULT_CATEGORIES)
    assert categories_seed(school=school) == []
    assert Concern.objects.count() == 0


def test_an_untriaged_concern_escalates_to_the_deputy_then_the_head(world):
    from datetime import timedelta

    from incidents.routing import concerns_escalate

    concern = report(world.school, world.users["teacher"], "abusive_messages")
    span = concern.deadline - concern.reported_at
    assert concerns_escalate(now=concern.deadline - timedelta(minutes=1)) == 0
    assert concerns_escalate(now=concern.deadline + timedelta(minutes=1)) == 1
    assert concerns_escalate(now=concern.deadline + timedelta(minutes=2)) == 0  # once only
    late = Notification.objects.filter(title="A concern is past its triage deadline")
    assert _personas(world, [n.recipient for n in late]) == {"deputy_dsl"}
    assert concerns_escalate(now=concern.deadline + span + timedelta(minutes=1)) == 1
    assert _personas(world, [n.recipient for n in late.all()]) == {"deputy_dsl", "head"}


def test_an_untriaged_staff_allegation_escalates_to_the_chair_not_the_head_twice(world):
    from datetime import timedelta

    from incidents.routing import concerns_escalate

    concern = report(
        world.school,
        world.users["teacher"],
        "staff_breach",
        people=[(world.users["deputy_dsl"], "alleged")],
    )
    span = concern.deadline - concern.reported_at
    concerns_escalate(now=concern.deadline + timedelta(minutes=1))
    concerns_escalate(now=concern.deadline + span + timedelta(minutes=1))
    late = Notification.objects.filter(title="A concern is past its triage deadline")
    # The deputy DSL is the subject, so is never told; the chair is the last step.
    assert _personas(world, [n.recipient for n in late]) == {"chair"}
    assert can_see(world.users["chair"], concern)
    assert not can_see(world.users["deputy_dsl"], concern)
