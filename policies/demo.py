"""Demo policies: the seed policy (through the importer) and the policies it links to (§3),
listed with their owners and review dates. Running it again restores them (people/demo.py)."""

from datetime import date
from pathlib import Path

from people.demo import demo_record
from policies.importer import policy_import
from policies.models import Policy, PolicySending, TrainingSession

SEED = Path(__file__).parent / "fixtures" / "mobile-technology-and-social-media-policy.txt"
SEED_TITLE = "Mobile Technology and Social Media Policy"

#: title, owner, ratified, next review (§3 "Links with other policies")
LINKED = [
    ("Anti-bullying policy", "Headteacher", date(2025, 9, 15), date(2026, 9, 15)),
    (
        "Acceptable Use Policies (AUP) and the Code of conduct",
        "Online Safety Lead",
        date(2025, 11, 10),
        date(2026, 11, 10),
    ),
    ("Behaviour and discipline policy", "Headteacher", date(2026, 2, 2), date(2027, 2, 2)),
    ("Child protection policy", "Designated Safeguarding Lead", date(2025, 9, 8), date(2026, 9, 8)),
    ("Confidentiality policy", "Headteacher", date(2026, 3, 9), date(2027, 3, 9)),
    ("Image use policy", "Online Safety Lead", date(2026, 1, 12), date(2027, 1, 12)),
    ("Online Safety policy", "Online Safety Lead", date(2026, 6, 15), date(2027, 6, 1)),
]


def seed(demo) -> None:
    school = demo.school
    policy = Policy.objects.filter(school=school, slug="mobile-technology-and-social-media-policy")
    policy = policy.first() or policy_import(
        school=school,
        text=SEED.read_text(encoding="utf-8"),
        title=SEED_TITLE,
        people={"deputy_dsl": "deputy"},  # the file names no deputy DSL
        check_links=False,  # the demo needs no network: links are checked from its page
    )
    _families(demo, policy)
    for title, owner, ratified, next_review in LINKED:
        linked = demo_record(
            Policy,
            key={"school": school, "slug": _slug(title)},
            seeded={
                "title": title,
                "listed_only": True,
                "owner": owner,
                "status": Policy.Status.RATIFIED,
                "ratified_on": ratified,
                "next_review_on": next_review,
                "requires_acknowledgement": False,
            },
        )
        policy.linked.add(linked)
    session = demo_record(
        TrainingSession,
        key={
            "school": school,
            "title": "Online safety and social media refresher",
            "held_on": date(2025, 9, 2),
        },
        seeded={"topic": TrainingSession.Topic.SOCIAL_MEDIA},
    )
    session.attendees.add(*[demo.users[u] for u in ("head", "deputy", "office")])


def _families(demo, policy) -> None:
    """The seed policy published for parents and pupils (its public page), and sent to
    families by the office at the start of the 2025/26 school year."""
    if not policy.published_for_families:
        policy.published_for_families = True
        policy.save(update_fields=["published_for_families"])
    version = policy.current_version
    if version is not None and not PolicySending.objects.filter(policy=policy).exists():
        PolicySending.objects.create(
            policy=policy,
            version=version,
            school_year=2025,
            sent_on=date(2025, 9, 3),
            sent_by=demo.users["office"],
            method=PolicySending.Method.EMAIL,
            recorded_by=demo.users["office"],
        )


def _slug(title: str) -> str:
    from django.utils.text import slugify

    return slugify(title)
