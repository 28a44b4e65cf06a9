"""Routing, in one place: the default categories (DESIGN.md's routing table, from the policy)
and how a concern's roles resolve to people of the school at the moment of the report.

Rules:
- the category names the owner role and the roles informed;
- a person named as a subject of the concern is never routed, notified or shown it;
- an allegation about the headteacher (the category, or a headteacher named as the alleged
  perpetrator) goes to the chair of governors, and to nobody else;
- when no one holds the owner role (or the only holder is a subject) it goes up the
  escalation chain (`CHAIN`: DSL, deputy DSL, headteacher; `STAFF_CHAIN` for staff cases:
  headteacher, chair of governors);
- someone in immediate danger makes the report urgent: 15 minutes, headteacher informed.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.urls import reverse

from incidents.models import Category, Concern, DeadlineUnit, Referral
from people.calendar import SchoolCalendar
from people.models import Membership
from roper.locking import locked
from roper.models import Notification
from roper.notifications import notification_send
from roper.roles import Role

R = Role
M, SD, WD = DeadlineUnit.MINUTES, DeadlineUnit.SCHOOL_DAYS, DeadlineUnit.WORKING_DAYS

NO_IMAGES = (
    "Do not upload, copy, forward or screenshot sexual images of children, even as evidence "
    "(UKCIS guidance: sharing nudes and semi-nudes). Describe what you saw, tell the DSL in "
    "person, and leave any device as it is."
)

#: The categories KCSIE 2025/2026 names that the 2020 seed policy did not (a review of the
#: defaults against the guidance: docs/kcsie-2026-categories.md). Child-on-child abuse and
#: AI-generated imagery go to the DSL, who decides on referrals (KCSIE Part 5; UKCIS 2024).
KCSIE_2026_CATEGORIES = [
    (
        "child_on_child",
        "Child-on-child abuse, including sexual violence and sexual harassment (KCSIE Part 5)",
        R.DSL,
        [],
        [],
        "Children's social care and police (rape, assault by penetration, sexual assault), "
        "as the DSL decides",
        (60, M),
        {},
        "Tell the DSL in person now. Write down what the child said in their words; do not "
        "promise to keep it secret and do not question the children involved.",
    ),
    (
        "ai_imagery",
        "AI-generated or deepfake imagery of a pupil or member of staff",
        R.DSL,
        [R.OSL],
        [],
        "Police and children's social care if the image is sexual (treated as nudes), "
        "as the DSL decides",
        (60, M),
        {"is_online": True, "allows_images": False},
        "A faked or AI-made picture, video or voice of a real person is child-on-child abuse "
        "when a pupil made or shared it. Do not view, copy or forward it; say who is shown, "
        "who shared it and on what platform.",
    ),
    (
        "sextortion",
        "Sexual extortion (sextortion), including financially motivated",
        R.DSL,
        [R.HEADTEACHER],
        [Referral.POLICE],
        "Police (CEOP or 101; 999 if a child is at risk now)",
        (60, M),
        {"is_online": True, "allows_images": False},
        "A child is being threatened that a sexual image (real or faked) will be shared unless "
        "they pay or send more. Tell the DSL in person now. Do not view the images; tell the "
        "child not to pay and not to delete the messages.",
    ),
    (
        "online_contact",
        "Harmful online contact, including grooming (contact risk)",
        R.DSL,
        [R.OSL],
        [],
        "Police (CEOP) and children's social care, as the DSL decides",
        (60, M),
        {"is_online": True},
        "Someone is contacting a pupil online to groom, exploit or harm them. Record the "
        "platform and account names; do not contact the account.",
    ),
    (
        "harmful_content",
        "Harmful online content, including misinformation, disinformation and conspiracy "
        "theories (content risk)",
        R.DSL,
        [R.OSL],
        [Referral.PARENTS],
        "Parents, as appropriate",
        (1, SD),
        {"is_online": True},
        "A pupil has seen, shared or is repeating harmful content (self-harm, pornography, "
        "misogyny, hate, fake news, conspiracy theories). Say what, where and who.",
    ),
    (
        "online_commerce",
        "Online scams, gambling or financial exploitation (commerce risk)",
        R.DSL,
        [R.OSL],
        [Referral.PARENTS],
        "Parents",
        (1, SD),
        {"is_online": True},
        "Phishing, scams, gambling, loot boxes or money muling. Record the platform and what "
        "was asked for.",
    ),
    (
        "radicalisation",
        "Radicalisation or extremism concern (Prevent)",
        R.DSL,
        [R.HEADTEACHER],
        [],
        "Prevent referral (Channel), as the DSL decides",
        (1, SD),
        {"is_online": False},
        "Record what was said, shared or searched for, in the pupil's words. Do not challenge "
        "the pupil's views or tell the family; the DSL decides on a Prevent referral.",
    ),
    (
        "monitoring_alert",
        "Filtering or monitoring alert (DfE filtering and monitoring standards)",
        R.DSL,
        [R.OSL],
        [],
        "",
        (1, SD),
        {"is_online": True},
        "A blocked search, a flagged message or a monitoring report about a pupil. Say which "
        "system raised it, when, and on which device or account.",
    ),
]

#: key, name, owner, informed, required referrals, note, deadline (amount, unit), flags, guidance
DEFAULT_CATEGORIES = [
    (
        "device_misuse",
        "Learner device misuse or breach (§5.3)",
        R.DSL,
        [R.OSL],
        [Referral.PARENTS],
        "Parents, as appropriate",
        (1, SD),
        {"is_online": True},
        "A learner used a phone or device against the policy. If it was confiscated, say where "
        "it is held. Do not look through the device.",
    ),
    (
        "illegal_material",
        "Suspected illegal material on a learner's device (§5.3)",
        R.DSL,
        [R.OSL, R.HEADTEACHER],
        [Referral.POLICE],
        "Police; the device is handed over",
        (60, M),
        {"is_online": True, "allows_images": False},
        "Do not open, copy or forward anything on the device. Keep it secure and switched off, "
        "and tell the DSL in person now. The device will be handed to the police.",
    ),
    (
        "sexual_images",
        "Sexual images of children (nudes and semi-nudes)",
        R.DSL,
        [R.HEADTEACHER],
        [Referral.POLICE, Referral.SOCIAL_CARE],
        "Police and children's social care, as the DSL decides",
        (60, M),
        {"is_online": True, "allows_images": False},
        "Never view, copy, print, forward or screenshot the image. Tell the DSL in person now "
        "and describe what you were told or saw.",
    ),
    (
        "social_media",
        "Learner social media concern, including under-13 use (§6.1, §8.3)",
        R.DSL,
        [R.OSL],
        [Referral.PARENTS],
        "Parents",
        (1, SD),
        {"is_online": True},
        "Record the platform and account names. Parents/carers will be told, particularly "
        "about underage use.",
    ),
    (
        "abusive_messages",
        "Abusive or inappropriate messages (§5.1)",
        R.DSL,
        [R.OSL],
        [],
        "",
        (1, SD),
        {"is_online": True},
        "Say who sent and received the messages and on what platform. Do not reply to them.",
    ),
    (
        "visitor_breach",
        "Visitor breach (§5.4)",
        R.DSL,
        [R.OSL],
        [],
        "",
        (1, SD),
        {"is_online": True},
        "A visitor, volunteer or contractor used a device against the policy. Challenge them "
        "if it is safe, and type in their name.",
    ),
    (
        "staff_contact",
        "Contact from a pupil or parent on a staff personal account (§6.2)",
        R.DSL,
        [],
        [],
        "",
        (1, SD),
        {"is_online": True},
        "Do not reply from your personal account. Record the platform and when it happened.",
    ),
    (
        "staff_breach",
        "Staff policy breach or misuse complaint (§5.2, §6.2)",
        R.HEADTEACHER,
        [],
        [],
        "",
        (1, SD),
        {"is_staff_case": True},
        "This goes to the headteacher under the allegations against staff policy. Do not "
        "discuss it with the member of staff.",
    ),
    (
        "staff_online_conduct",
        "Allegation about a staff member's online conduct (§6.2)",
        R.HEADTEACHER,
        [R.DSL],
        [Referral.LADO],
        "LADO within 1 working day",
        (1, WD),
        {"is_staff_case": True, "is_online": False},
        "This goes to the headteacher and is discussed with the LADO within one working day. "
        "Do not investigate or tell the member of staff.",
    ),
    (
        "staff_illegal",
        "Staff illegal content or criminal offence on a device (§5.2)",
        R.HEADTEACHER,
        [R.DSL],
        [Referral.POLICE, Referral.LADO],
        "Police and LADO",
        (60, M),
        {"is_staff_case": True, "allows_images": False},
        "Do not touch or copy anything on the device. Tell the headteacher in person now.",
    ),
    (
        "about_head",
        "Any allegation about the headteacher",
        R.CHAIR,
        [],
        [Referral.LADO],
        "LADO",
        (1, WD),
        {"is_staff_case": True, "is_about_head": True},
        "This goes to the chair of governors only, who discusses it with the LADO. The "
        "headteacher does not see it.",
    ),
    (
        "immediate_danger",
        "Immediate danger (§9)",
        R.DSL,
        [R.HEADTEACHER],
        [Referral.POLICE],
        "Police (call 999 now)",
        (15, M),
        {"is_immediate_danger": True},
        "If anyone is in immediate danger, call 999 now, then tell the DSL in person. "
        "If it is not an emergency but the police need to know, call 101.",
    ),
    # Added from Keeping Children Safe in Education (September 2025 and 2026 editions): see
    # docs/kcsie-2026-categories.md. Existing schools get them from incidents migration
    # 0008_kcsie_2026_categories (a frozen copy of these rows), without touching their own.
    *KCSIE_2026_CATEGORIES,
]

IMMEDIATE_DANGER_MINUTES = 15


def categories_seed(*, school) -> list[Category]:
    """Create the default categories for a school; existing ones are left as edited."""
    existing = set(Category.objects.filter(school=school).values_list("key", flat=True))
    new = []
    for order, row in enumerate(DEFAULT_CATEGORIES):
        key, name, owner, informed, referrals, note, (amount, unit), flags, guidance = row
        if key in existing:
            continue
        flags = {"allows_images": True, **flags}
        new.append(
            Category(
                school=school,
                key=key,
                name=name,
                guidance=guidance,
                owner_role=owner,
                informed_roles=[str(r) for r in informed],
                required_referrals=[str(r) for r in referrals],
                referral_note=note,
                deadline_amount=amount,
                deadline_unit=unit,
                no_images_reason="" if flags["allows_images"] else NO_IMAGES,
                order=order,
                **flags,
            )
        )
    return Category.objects.bulk_create(new)


#: The escalation chain, the one definition (DESIGN.md, "Routing"): a concern whose owner role
#: no one holds is routed up it, and one not triaged in time climbs it a step at a time. Staff
#: cases go to the headteacher, then the chair of governors; an allegation about the
#: headteacher goes to the chair and has no one above.
CHAIN = [R.DSL, R.DEPUTY_DSL, R.HEADTEACHER]
STAFF_CHAIN = [R.HEADTEACHER, R.CHAIR]


def owner_role_of(category: Category) -> str:
    """The role that owns `category`'s concerns: its owner role when its kind allows it
    (`Category.routable_roles`), else the first step of its chain."""
    if category.owner_role in category.routable_roles:
        return category.owner_role
    return (STAFF_CHAIN if category.is_staff_case else CHAIN)[0]


def chain_above(owner_role: str, is_staff_case: bool) -> list[str]:
    """The roles above `owner_role` in the chain, in order. A role not in the chain (a school
    may give a category another owner) sits below its first step."""
    chain = STAFF_CHAIN if is_staff_case else CHAIN
    if owner_role in chain:
        return chain[chain.index(owner_role) + 1 :]
    return chain[1:]


@dataclass
class Route:
    owner: object | None
    informed: list = field(default_factory=list)
    owner_role: str = ""
    is_about_head: bool = False

    @property
    def everyone(self):
        return [u for u in [self.owner, *self.informed] if u is not None]


def route(*, concern: Concern, subject_user_ids: set[int] | None = None) -> Route:
    """Who owns and who is told of a concern, at this moment."""
    if subject_user_ids is None:
        subject_user_ids = concern.subject_staff_ids
    holders = Membership.objects.holders_by_role(concern.school)

    def people(role):
        return [u for u in holders.get(role, []) if u.pk not in subject_user_ids]

    category = concern.category
    heads = {u.pk for u in holders.get(R.HEADTEACHER, [])}
    about_head = category.is_about_head or bool(heads & subject_user_ids)
    if about_head:
        chairs = people(R.CHAIR)
        return Route(
            owner=chairs[0] if chairs else None,
            informed=chairs[1:],
            owner_role=R.CHAIR,
            is_about_head=True,
        )

    # Only to the roles the category's kind allows (`Category.routable_roles`), whatever
    # the category was edited to say.
    first = owner_role_of(category)
    chain = [first, *chain_above(first, category.is_staff_case)]
    owner, owner_role, extra = None, first, []
    for role in chain:
        found = people(role)
        if found:
            owner, owner_role, extra = found[0], role, found[1:]
            break
    informed_roles = [r for r in category.informed_roles if r in category.routable_roles]
    if concern.immediate_danger and R.HEADTEACHER not in informed_roles:
        informed_roles.append(R.HEADTEACHER)
    informed = list(extra)
    for role in informed_roles:
        informed += [u for u in people(role) if u != owner and u not in informed]
    return Route(owner=owner, informed=informed, owner_role=owner_role)


def deadline(*, concern: Concern):
    category = concern.category
    due = SchoolCalendar(concern.school).deadline(
        concern.reported_at, category.deadline_amount, category.deadline_unit
    )
    if concern.immediate_danger:
        due = min(due, concern.reported_at + timedelta(minutes=IMMEDIATE_DANGER_MINUTES))
    return due


def urgency(*, concern: Concern) -> str:
    if concern.immediate_danger or concern.category.is_immediate_danger:
        return Notification.Urgency.URGENT
    if concern.deadline and concern.deadline - concern.reported_at <= timedelta(hours=1):
        return Notification.Urgency.URGENT
    if concern.is_staff_case:
        return Notification.Urgency.HIGH
    return Notification.Urgency.NORMAL


def concern_route(*, concern: Concern) -> Route:
    """Route a just-reported concern: set owner, deadline and who it was routed to, and
    notify them (in-app and by email; no case detail in either)."""
    result = route(concern=concern, subject_user_ids=concern.subject_staff_ids)
    concern.owner = result.owner
    concern.is_staff_case = concern.category.is_staff_case or result.is_about_head
    concern.is_about_head = result.is_about_head
    concern.deadline = deadline(concern=concern)
    concern.save(update_fields=["owner", "is_staff_case", "is_about_head", "deadline"])
    concern.routed_to.set(result.everyone)
    url = reverse("incidents:detail", args=[concern.pk])
    level = urgency(concern=concern)
    if result.owner:
        notification_send(
            recipients=[result.owner],
            school=concern.school,
            title="A new concern for you to triage",
            url=url,
            urgency=level,
        )
    if result.informed:
        notification_send(
            recipients=result.informed,
            school=concern.school,
            title="A new concern you are informed of",
            url=url,
            urgency=level,
        )
    return result


ROLE_NAMES = {
    R.DEPUTY_DSL: "the deputy DSL",
    R.HEADTEACHER: "the headteacher",
    R.CHAIR: "the chair of governors",
    R.DSL: "the DSL",
}


def clock_user():
    """The author of the timeline entries Roper writes itself (an escalation): an inactive
    account with no password and no membership, so it can never sign in or see anything."""
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(
        username="roper-clock",
        defaults={"first_name": "Roper", "last_name": "(automatic)", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def escalation_chain(concern: Concern) -> list[str]:
    """The roles a concern not triaged in time goes to, step by step (after its owner)."""
    if concern.is_about_head:
        return []
    return chain_above(owner_role_of(concern.category), concern.is_staff_case)


def concerns_escalate(*, now=None) -> int:
    """Escalate every concern still new past its deadline: to the next role in its chain at
    the deadline, then to the one after when as long again has passed. A run takes every
    step already due (after a scheduler outage across both, both are told at once). Each
    step is an entry on the concern's timeline and a reminder under a key per concern and
    step, so running it twice (or two runs at once) takes and tells each step once. Returns
    how many steps were taken."""
    from django.utils import timezone

    now = now or timezone.now()
    due = Concern.objects.filter(
        status=Concern.Status.NEW, deadline__lt=now, escalation_level__lt=2, is_about_head=False
    ).values_list("pk", flat=True)
    escalated = 0
    for pk in list(due):
        # Two runs of the job at once: lock the row so each step is taken once.
        with locked(Concern.objects.filter(pk=pk), related=("category", "school")) as concern:
            if concern is None or concern.status != Concern.Status.NEW:  # destroyed, triaged
                continue
            chain = escalation_chain(concern)
            span = concern.deadline - concern.reported_at
            while (
                concern.escalation_level < len(chain)
                and concern.deadline + span * concern.escalation_level < now
            ):
                _escalate_step(concern, chain[concern.escalation_level], now)
                escalated += 1
    return escalated


def _escalate_step(concern: Concern, role: str, now) -> None:
    """Take `concern` one step up its chain, to the holders of `role` (never a subject of the
    concern): a timeline entry, and a reminder to them."""
    from incidents.models import Entry
    from roper.reminders import reminder_send

    subjects = concern.subject_staff_ids
    people = [
        u for u in Membership.objects.holders(concern.school, roles=[role]) if u.pk not in subjects
    ]
    concern.escalation_level += 1
    concern.save(update_fields=["escalation_level"])
    names = ", ".join(u.get_full_name() or u.get_username() for u in people)
    Entry.objects.create(
        concern=concern,
        kind=Entry.Kind.ESCALATED,
        at=now,
        author=clock_user(),
        text=(
            f"Not triaged by its deadline: escalated to {ROLE_NAMES.get(role, role)}"
            + (f" ({names})." if names else "; no one holds that role.")
        ),
    )
    if people:
        concern.routed_to.add(*people)
        reminder_send(
            key=f"concern-escalation:{concern.pk}:step{concern.escalation_level}",
            recipients=people,
            school=concern.school,
            title="A concern is past its triage deadline",
            url=reverse("incidents:detail", args=[concern.pk]),
            urgency=Notification.Urgency.URGENT,
        )
