"""The demo data: Anthony Roper Primary School (from the seed policy), a second small school
in the same trust, and one account per role.

Running the seed again restores the demo, whatever people did while trying it, and otherwise
changes nothing. Each app's demo finds its own records with `demo_record`, by the fields that
mark them as the demo's (never a lookup users can make ambiguous by adding a look-alike), and
puts back what users changed. Records whose history is append-only (a confiscation's custody,
a concern's chronology) are never rewound: when the demo's one has moved on, the seed records
a fresh one, so the desk and the dashboard show what the README describes."""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from people.models import Guardian, Guardianship, Learner, Membership, School, Term, Trust
from roper.roles import Role
from roper.two_factor import TWO_FACTOR_ROLES

DEMO_PASSWORD = "roper-demo"  # nosec B105 - the documented demo password, set only by seed_demo
#: Demo accounts that need two-factor sign-in accept these backup codes (restored by every
#: run of seed_demo) and this authenticator key (base32 JBSWY3DPEHPK3PXP; README).
DEMO_BACKUP_CODES = ["11111111", "22222222", "33333333", "44444444", "55555555"]
DEMO_TOTP_KEY_HEX = "48656c6c6f21deadbeef"

FIRST_NAMES = [
    "Amelia",
    "Olivia",
    "Isla",
    "Ava",
    "Mia",
    "Ivy",
    "Lily",
    "Isabella",
    "Rosie",
    "Sophia",
    "Grace",
    "Freya",
    "Willow",
    "Florence",
    "Emily",
    "Ella",
    "Poppy",
    "Evie",
    "Elsie",
    "Charlotte",
    "Oliver",
    "George",
    "Arthur",
    "Noah",
    "Muhammad",
    "Leo",
    "Harry",
    "Oscar",
    "Archie",
    "Henry",
    "Theodore",
    "Freddie",
    "Jack",
    "Charlie",
    "Theo",
    "Alfie",
    "Jacob",
    "Thomas",
    "Finley",
    "Arlo",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Thomas",
    "Clarke",
    "Jackson",
    "Wood",
    "Harris",
    "Edwards",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Hughes",
    "Moore",
    "Clark",
    "King",
    "Harrison",
    "Lewis",
    "Baker",
    "Lee",
    "Allen",
    "Morris",
    "Khan",
]
TREES = ["Acorn", "Beech", "Cedar", "Elm", "Hazel", "Oak", "Willow"]
YEARS = ["R", "1", "2", "3", "4", "5", "6"]

# English term dates (Kent pattern) for the school years the demo spans.
TERMS = [
    ("autumn", date(2024, 9, 3), date(2024, 12, 20)),
    ("spring", date(2025, 1, 6), date(2025, 4, 4)),
    ("summer", date(2025, 4, 22), date(2025, 7, 22)),
    ("autumn", date(2025, 9, 3), date(2025, 12, 19)),
    ("spring", date(2026, 1, 5), date(2026, 3, 27)),
    ("summer", date(2026, 4, 13), date(2026, 7, 21)),
    ("autumn", date(2026, 9, 2), date(2026, 12, 18)),
    ("spring", date(2027, 1, 4), date(2027, 3, 26)),
    ("summer", date(2027, 4, 12), date(2027, 7, 21)),
]

#: username, first name, last name, {school key: roles}
ACCOUNTS = [
    ("head", "Lynda", "Newton", {"aps": [Role.HEADTEACHER, Role.DSL]}),
    ("deputy", "Sandra", "Goodwin", {"aps": [Role.OSL, Role.DEPUTY_DSL, Role.LEADERSHIP]}),
    ("governor", "Chris", "Dee", {"aps": [Role.GOVERNOR]}),
    ("chair", "Margaret", "Hale", {"aps": [Role.CHAIR, Role.GOVERNOR]}),
    ("office", "Jo", "Marsh", {"aps": [Role.OFFICE]}),
    ("teacher", "Sam", "Patel", {"aps": [Role.STAFF]}),
    ("admin", "Alex", "Reid", {"aps": [Role.ADMIN]}),
    ("darent", "Priya", "Shah", {"dvp": [Role.HEADTEACHER, Role.DSL]}),
]


def demo_record(model, *, key: dict, seeded: dict | None = None, new: dict | None = None):
    """The demo's own `model` record, marked by the `key` fields; the oldest if users have
    since made look-alikes (a second declaration by the same teacher). The `seeded` fields are
    put back if users changed them; the `new` fields are set only when it is created (dates
    relative to today). Saves only what differs, so a second run writes nothing."""
    seeded = seeded or {}
    record = model.objects.filter(**key).order_by("pk").first()
    if record is None:
        return model.objects.create(**key, **seeded, **(new or {}))
    changed = [name for name, value in seeded.items() if getattr(record, name) != value]
    for name in changed:
        setattr(record, name, seeded[name])
    if changed:
        record.save()
    return record


def demo_user(username, first, last):
    """A demo account with its name, the demo password, active and unlocked. No account is
    staff or superuser: the admin role opens /admin/ by itself (roper/admin_site.py), and
    an older demo's staff flag is taken away."""
    user = demo_record(
        get_user_model(),
        key={"username": username},
        seeded={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@roper.example",
            "is_active": True,
            "is_staff": False,
            "is_superuser": False,
        },
    )
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    AccessAttempt.objects.filter(username=username).delete()  # a lockout from trying it
    return user


@dataclass
class Demo:
    trust: Trust
    school: School
    other_school: School
    users: dict = field(default_factory=dict)


def _school(trust, name, urn, address):
    school = demo_record(
        School, key={"urn": urn}, seeded={"name": name, "trust": trust, "address": address}
    )
    for season, start, end in TERMS:
        demo_record(
            Term,
            key={"school": school, "starts_on": start},
            seeded={"season": season, "ends_on": end},
        )
    return school


def _learners(school, classes: list[tuple[str, str]], per_class: int, seed: int):
    """Learners with two parents/carers each; created once, keyed by UPN."""
    rng = random.Random(seed)  # nosec B311 - demo data, not security
    existing = set(Learner.objects.filter(school=school).values_list("upn", flat=True))
    autumn = date(2026, 9, 1)
    serial = 0
    for year, class_name in classes:
        age = 4 if year == "R" else 4 + int(year)
        for _ in range(per_class):
            serial += 1
            upn = f"A{school.urn[-4:]}{serial:07d}{seed % 10}"
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            born = autumn - timedelta(days=365 * (age + 1) - rng.randrange(0, 364))
            second_relationship = rng.choice(["Father", "Mother", "Grandmother", "Step-father"])
            if upn in existing:
                continue
            learner = Learner.objects.create(
                school=school,
                legal_first_name=first,
                legal_last_name=last,
                preferred_name="Teddy" if first == "Theodore" else "",
                year_group=year,
                class_name=class_name,
                upn=upn,
                date_of_birth=born,
            )
            for n, relationship in enumerate(["Mother", second_relationship]):
                parent_first = rng.choice(FIRST_NAMES)
                guardian = Guardian.objects.create(
                    school=school,
                    name=f"{parent_first} {last}",
                    phone=f"07700 9{rng.randrange(0, 99999):05d}",
                    email=f"{parent_first.lower()}.{last.lower()}{serial}@example.org",
                )
                Guardianship.objects.create(
                    learner=learner,
                    guardian=guardian,
                    relationship=relationship,
                    # One grandparent in five is on file but may not collect.
                    may_collect=n == 0 or relationship != "Grandmother" or rng.random() > 0.2,
                )


def _accounts(demo: Demo):
    schools = {"aps": demo.school, "dvp": demo.other_school}
    for username, first, last, roles in ACCOUNTS:
        user = demo_user(username, first, last)
        for key, school_roles in roles.items():
            demo_record(
                Membership,
                key={"user": user, "school": schools[key]},
                seeded={"roles": [str(r) for r in school_roles]},
            )
        if any(set(r) & TWO_FACTOR_ROLES for r in roles.values()):
            _demo_two_factor(user)
        demo.users[username] = user


def _demo_two_factor(user):
    """A known authenticator key and backup codes, so the demo can be tried without a phone."""
    demo_record(
        TOTPDevice,
        key={"user": user, "name": "Demo authenticator"},
        seeded={"key": DEMO_TOTP_KEY_HEX, "confirmed": True},
    )
    static = demo_record(
        StaticDevice, key={"user": user, "name": "Demo backup codes"}, seeded={"confirmed": True}
    )
    # A wrong code tried while using the demo would otherwise keep the codes throttled.
    if static.throttling_failure_count:
        static.throttle_reset()
    have = set(static.token_set.values_list("token", flat=True))
    StaticToken.objects.bulk_create(
        StaticToken(device=static, token=code) for code in DEMO_BACKUP_CODES if code not in have
    )


def seed_people() -> Demo:
    trust = demo_record(Trust, key={"name": "Darent Valley Learning Trust (demo)"})
    school = _school(
        trust, "Anthony Roper Primary School", "900001", "High Street, Eynsford, Kent DA4 0AA"
    )
    other = _school(trust, "Darent Valley Primary School (demo)", "900002", "Farningham, Kent")
    _learners(school, list(zip(YEARS, TREES, strict=True)), per_class=30, seed=1)
    _learners(other, [("5", "Kingfisher"), ("6", "Heron")], per_class=10, seed=2)
    demo = Demo(trust=trust, school=school, other_school=other)
    _accounts(demo)
    return demo
