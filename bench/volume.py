"""Volume data for the benchmark: schools × learners (with guardians) × school days.

`seed(scale)` creates one or more *parts*, each a named data set that lives beside the
others in the same database (the benchmark's database holds both `school` and `trust`):

- `school`: 1 school, 1,500 learners, 3 school years of history, dense concern logging
  (10,000+ concerns: the triage dashboard is measured at that volume);
- `trust`: 20 schools × 1,000 learners, 1 school year, concerns at a realistic 2–5 % of
  learners a term, a trust-level DSL and governor (`Membership(trust=…, school=None)`);
- `tiny` and `tiny+`: the same shape, small, for the test suite (tiny+ is a little bigger,
  to show that no page's number of queries grows with the data);
- `school-2y` (and `tiny-2y`): `school` (`tiny`'s school) with two years of history instead
  of three, to show that no page's time grows with the years.

History runs from `years` × 365 days ago to yesterday (today is left empty for the desk and
the morning rush). Rows are written in bulk: the large tables (handovers, desk entries,
notifications, access logs) with COPY on PostgreSQL (psycopg 3), `executemany` elsewhere;
the rest with `bulk_create`. Nothing here goes through the app's services (they would
notify, route and write history row by row); the shapes follow what the services write.
A part that already exists is left alone: seeding twice changes nothing.
"""

import random
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from conduct.models import Breach, ParentNotice, Period, Place
from conduct.services import ladder_seed, ladder_step
from devices.models import (
    Confiscation,
    CustodyEvent,
    CustodyState,
    DayReconciliation,
    Decision,
    DeskEntry,
    Handover,
    LearnerExemption,
)
from incidents.models import Category, Concern, Entry, Involvement, Referral
from incidents.routing import categories_seed
from people.calendar import is_working_day
from people.demo import FIRST_NAMES, LAST_NAMES
from people.models import Guardian, Guardianship, Learner, Membership, School, Term, Trust
from policies.models import (
    Acknowledgement,
    Policy,
    PolicyVersion,
    TrainingAttendance,
    TrainingSession,
)
from roper.models import AccessLog, Notification
from roper.roles import STAFF, Role

LONDON = ZoneInfo("Europe/London")
#: Every bench account signs in with this password (the rush signs the office in with it).
BENCH_PASSWORD = "bench-volume-password"  # noqa: S105 - bench data on a local database
R = Role


@dataclass(frozen=True)
class Part:
    """One data set. Schools are named "Bench <key> NN", accounts "<key>-NN-<role>"."""

    key: str
    schools: int
    learners: int  # per school
    years: int  # of history, back from yesterday
    concern_rate: float  # new concerns a term, as a share of the school's learners
    in_trust: bool
    long_timeline: int  # entries of each school's one long-running concern

    @property
    def trust_name(self) -> str:
        return f"Bench {self.key}"

    def school_name(self, n: int) -> str:
        return f"Bench {self.key} {n:02d}"


SCALES: dict[str, tuple[Part, ...]] = {
    "tiny": (
        Part("tiny-school", 1, 40, 3, 0.6, False, 25),
        Part("tiny-trust", 2, 25, 1, 0.2, True, 25),
    ),
    "tiny+": (
        Part("tinyplus-school", 1, 90, 3, 0.6, False, 80),
        Part("tinyplus-trust", 3, 40, 1, 0.2, True, 80),
    ),
    # For development on a shared machine: the shape of school + trust, a fifth of the size.
    "small": (
        Part("small-school", 1, 300, 3, 0.77, False, 100),
        Part("small-trust", 4, 200, 1, 0.035, True, 40),
    ),
    # ~1,150 concerns a term: 10,000+ over the three years.
    "school": (Part("school", 1, 1500, 3, 0.77, False, 200),),
    "trust": (Part("trust", 20, 1000, 1, 0.035, True, 60),),
    # The school with two years of history instead of three (its size, its concerns a term,
    # its long-running concern alike): each school page is measured at both, in the same run,
    # to show that no page's time grows with the years (bench/run.py `history_growth`).
    "school-2y": (Part("twoyear", 1, 1500, 2, 0.77, False, 200),),
    "tiny-2y": (Part("tiny2y", 1, 40, 2, 0.6, False, 25),),
}

#: Category key -> share of concerns (device misuse and messages dominate; the rare, grave
#: kinds are rare).
CATEGORY_MIX = {
    "device_misuse": 30,
    "social_media": 18,
    "abusive_messages": 24,
    "sexual_images": 4,
    "illegal_material": 0.7,
    "visitor_breach": 3,
    "staff_contact": 5,
    "staff_breach": 4,
    "staff_online_conduct": 1.5,
    "staff_illegal": 0.3,
    "about_head": 0.2,
    "immediate_danger": 1.3,
}
PLACES = ["Playground", "Classroom", "Corridor", "Lunch hall", "Online, at home", "Bus stop"]
DEVICES = ["iPhone 13", "Samsung Galaxy A54", "iPhone SE", "Google Pixel 7", "Smartwatch"]
POLICIES = [
    "Online safety",
    "Mobile technology",
    "Child protection and safeguarding",
    "Acceptable use",
    "Social media",
    "Staff code of conduct",
]
LISTED_POLICIES = ["Behaviour", "Anti-bullying"]
TEXT = (
    "Reported by a member of staff after a conversation at break. The learner was upset and "
    "said that messages had been sent in a group chat the evening before. "
)


# --------------------------------------------------------------------------------------------
# Writing rows


class Writer:
    """Rows into one table: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"

    def write(self, model, fields: list[str], rows: Iterable[tuple]) -> int:
        meta = model._meta
        model_fields = [meta.get_field(name) for name in fields]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in model_fields)
        table = connection.ops.quote_name(meta.db_table)
        count = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                return count
            placeholders = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
            batch = []
            for row in rows:
                batch.append(
                    [
                        f.get_db_prep_save(value, connection)
                        for f, value in zip(model_fields, row, strict=True)
                    ]
                )
                if len(batch) >= 2000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        return count


def next_id(model) -> int:
    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def reset_sequences(models) -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def at(day: date, hour: int, minute: int = 0, seconds: int = 0) -> datetime:
    return datetime.combine(day, dtime(hour, minute), LONDON) + timedelta(seconds=seconds)


# --------------------------------------------------------------------------------------------
# The calendar


def school_year_terms(year: int) -> list[tuple[str, date, date]]:
    """The three terms of the school year starting in September of `year`."""

    def weekday_on_or_after(d):
        while d.weekday() >= 5:
            d += timedelta(days=1)
        return d

    def weekday_on_or_before(d):
        while d.weekday() >= 5:
            d -= timedelta(days=1)
        return d

    return [
        (
            "autumn",
            weekday_on_or_after(date(year, 9, 3)),
            weekday_on_or_before(date(year, 12, 19)),
        ),
        (
            "spring",
            weekday_on_or_after(date(year + 1, 1, 5)),
            weekday_on_or_before(date(year + 1, 3, 27)),
        ),
        (
            "summer",
            weekday_on_or_after(date(year + 1, 4, 14)),
            weekday_on_or_before(date(year + 1, 7, 21)),
        ),
    ]


def calendar(years: int, today: date) -> tuple[list[tuple[str, date, date]], date, list[date]]:
    """(terms, first day of history, school days with history up to yesterday)."""
    first = today - timedelta(days=365 * years)
    start_year = first.year if first.month >= 9 else first.year - 1
    end_year = today.year if today.month >= 9 else today.year - 1
    terms = [t for y in range(start_year, end_year + 1) for t in school_year_terms(y)]
    days = []
    for _, start, end in terms:
        day = max(start, first)
        while day <= min(end, today - timedelta(days=1)):
            if is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
    return terms, first, days


# --------------------------------------------------------------------------------------------
# Seeding


def exists(part: Part) -> bool:
    return School.objects.filter(name=part.school_name(1)).exists()


def seed(scale: str, *, log=print) -> dict:
    """Seed every part of a scale that is not there yet; returns seconds per part."""
    timings = {}
    for part in SCALES[scale]:
        if exists(part):
            log(f"{part.key}: already seeded")
            continue
        started = time.perf_counter()
        seed_part(part, log=log)
        timings[part.key] = round(time.perf_counter() - started, 1)
        log(f"{part.key}: seeded in {timings[part.key]} s")
    return timings


def seed_part(part: Part, *, log=print) -> None:
    today = timezone.localdate()
    password = make_password(BENCH_PASSWORD)
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        if postgres:
            with connection.cursor() as cursor:
                # Our rows are consistent by construction: skip the deferred FK triggers
                # (millions of queued checks) for this transaction when we may.
                try:
                    with transaction.atomic():
                        cursor.execute("SET LOCAL session_replication_role = replica")
                except Exception:  # noqa: BLE001 - not a superuser: keep the checks
                    log("(foreign-key checks stay on: not a superuser)")
                cursor.execute("SET LOCAL synchronous_commit = off")
        trust = Trust.objects.create(name=part.trust_name) if part.in_trust else None
        trust_users = _trust_users(part, trust, password) if trust else {}
        ids = {m: next_id(m) for m in (Handover,)}
        for n in range(1, part.schools + 1):
            started = time.perf_counter()
            SchoolSeeder(part, n, trust, trust_users, password, today, ids).run()
            log(f"  {part.school_name(n)}: {time.perf_counter() - started:.1f} s")
        reset_sequences([Handover])
    if postgres and connection.get_autocommit():
        with connection.cursor() as cursor:
            # Statistics for the planner, and the visibility map and hint bits set once here
            # rather than by the first requests measured (a live database is vacuumed).
            cursor.execute("VACUUM ANALYZE")
    elif postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _users(rows: list[tuple[str, str, str]], password: str) -> list:
    User = get_user_model()
    return User.objects.bulk_create(
        User(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@bench.invalid",
            password=password,
        )
        for username, first, last in rows
    )


def _trust_users(part: Part, trust, password) -> dict:
    dsl, governor = _users(
        [
            (f"{part.key}-trust-dsl", "Trusty", "Lead"),
            (f"{part.key}-trust-governor", "Trudy", "Governor"),
        ],
        password,
    )
    Membership.objects.bulk_create(
        [
            Membership(user=dsl, trust=trust, roles=[R.DSL]),
            Membership(user=governor, trust=trust, roles=[R.GOVERNOR]),
        ]
    )
    return {"dsl": dsl, "governor": governor}


#: role account -> roles held in the school.
CORE = {
    "office": [R.OFFICE],
    "head": [R.HEADTEACHER],
    "dsl": [R.DSL, R.STAFF],
    "deputy": [R.DEPUTY_DSL, R.STAFF],
    "osl": [R.OSL, R.STAFF],
    "leadership": [R.LEADERSHIP, R.STAFF],
    "chair": [R.CHAIR, R.GOVERNOR],
    "governor": [R.GOVERNOR],
    "admin": [R.ADMIN],
}


class SchoolSeeder:
    def __init__(self, part, n, trust, trust_users, password, today, ids):
        self.part, self.n, self.trust = part, n, trust
        self.trust_users, self.password, self.today, self.ids = trust_users, password, today, ids
        self.rng = random.Random(zlib.crc32(f"{part.key}-{n}".encode()))
        self.writer = Writer()

    def run(self):
        self.school = School.objects.create(
            trust=self.trust,
            name=self.part.school_name(self.n),
            urn=f"X{zlib.crc32(self.part.key.encode()) % 10000:04d}{self.n:03d}",
            address="1 Bench Lane",
        )
        self.term_rows, self.first, self.days = calendar(self.part.years, self.today)
        self.terms = Term.objects.bulk_create(
            Term(school=self.school, season=s, starts_on=a, ends_on=b) for s, a, b in self.term_rows
        )
        self.accounts()
        categories_seed(school=self.school)
        self.categories = {c.key: c for c in Category.objects.filter(school=self.school)}
        self.learners_and_guardians()
        self.handovers()
        self.concerns()
        self.confiscations()
        self.breaches()
        self.policies()

    # -- people ------------------------------------------------------------------------

    def accounts(self):
        part, n = self.part, self.n
        prefix = f"{part.key}-{n:02d}"
        teachers = max(4, part.learners // 15)
        rows = [(f"{prefix}-{name}", name.title(), f"School{n:02d}") for name in CORE]
        rows += [
            (f"{prefix}-t{i:03d}", self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES))
            for i in range(teachers)
        ]
        users = _users(rows, self.password)
        self.users = dict(zip(CORE, users, strict=False))
        self.teachers = users[len(CORE) :]
        memberships = [
            Membership(user=self.users[name], school=self.school, roles=[str(r) for r in roles])
            for name, roles in CORE.items()
        ]
        memberships += [
            Membership(user=u, school=self.school, roles=[R.STAFF]) for u in self.teachers
        ]
        Membership.objects.bulk_create(memberships)
        self.staff = [
            u
            for name, u in self.users.items()
            if set(CORE[name]) & STAFF  # governors and admin are not staff
        ] + self.teachers
        if self.trust_users:
            self.staff.append(self.trust_users["dsl"])
        self.holders = {
            R.DSL: self.users["dsl"],
            R.DEPUTY_DSL: self.users["deputy"],
            R.HEADTEACHER: self.users["head"],
            R.OSL: self.users["osl"],
            R.CHAIR: self.users["chair"],
        }

    def learners_and_guardians(self):
        rng, part = self.rng, self.part
        secondary = part.learners >= 600
        years = ["7", "8", "9", "10", "11"] if secondary else ["R", "1", "2", "3", "4", "5", "6"]
        learners = []
        for i in range(part.learners):
            year = years[i % len(years)]
            born = self.today.year - (11 if year == "R" else int(year) + 5) - 1
            learners.append(
                Learner(
                    school=self.school,
                    legal_first_name=rng.choice(FIRST_NAMES),
                    legal_last_name=rng.choice(LAST_NAMES),
                    preferred_name=rng.choice(FIRST_NAMES) if rng.random() < 0.03 else "",
                    year_group=year,
                    class_name=f"{year}{'ABCDEFGH'[(i // len(years)) % 8]}",
                    upn=f"B{self.n:03d}{i:09d}",
                    date_of_birth=date(born, rng.randint(1, 12), rng.randint(1, 28)),
                )
            )
        self.learners = Learner.objects.bulk_create(learners, batch_size=2000)
        guardians, links = [], []
        for learner in self.learners:
            for k in range(2 if rng.random() < 0.6 else 1):
                guardians.append(
                    Guardian(
                        school=self.school,
                        name=f"{rng.choice(FIRST_NAMES)} {learner.legal_last_name}",
                        phone=f"07700 9{rng.randint(0, 99999):05d}",
                        email="",
                    )
                )
                links.append((learner, k))
        guardians = Guardian.objects.bulk_create(guardians, batch_size=2000)
        Guardianship.objects.bulk_create(
            [
                Guardianship(
                    learner=learner,
                    guardian=g,
                    relationship="Mother" if k == 0 else rng.choice(["Father", "Grandmother"]),
                    may_collect=k == 0 or rng.random() < 0.7,
                )
                for (learner, k), g in zip(links, guardians, strict=True)
            ],
            batch_size=2000,
        )
        self.collector = {}
        for (learner, k), g in zip(links, guardians, strict=True):
            if k == 0:
                self.collector[learner.pk] = g
        head, office = self.users["head"], self.users["office"]
        LearnerExemption.objects.bulk_create(
            LearnerExemption(
                school=self.school,
                requested_by=office,
                decided_by=head,
                status=Decision.APPROVED,
                decided_at=timezone.now() - timedelta(days=30),
                decision_reason="Medical need confirmed by the school nurse.",
                learner=learner,
                reason=LearnerExemption.Reason.MEDICAL,
                details="Glucose monitor app.",
                review_on=self.today + timedelta(days=120),
            )
            for learner in self.learners
            if rng.random() < 0.01
        )
        # Children of concern: 40 % of learners, some much more often than others.
        pool = list(self.learners)
        rng.shuffle(pool)
        # The one with the most (the long-running concern's child, several phones taken) is the
        # first of the school's list of learners: the sweep (sweep.py) follows a list's first
        # link, so at every scale it opens a learner with every kind of record, and compares
        # like with like (at 2 schools it met a learner with none, and counted the queries of
        # their concerns and phones as growth).
        first = Learner.objects.filter(school=self.school).first()
        pool.remove(first)
        pool.insert(0, first)
        self.of_concern = pool[: max(1, len(pool) * 2 // 5)]
        weights = [1 / (rank + 1) ** 0.3 for rank in range(len(self.of_concern))]
        total, acc = sum(weights), 0.0
        self.concern_cum = []
        for w in weights:
            acc += w / total
            self.concern_cum.append(acc)

    # -- the daily handover ------------------------------------------------------------

    def handovers(self):
        rng, school_id = self.rng, self.school.pk
        office = self.users["office"].pk
        handing_in = [
            (learner.pk, f"P{i + 1:04d}" if rng.random() < 0.6 else "")
            for i, learner in enumerate(self.learners)
            if rng.random() < 0.88  # most learners bring a phone
        ]
        fields = [
            "id",
            "school",
            "learner",
            "school_day",
            "tag",
            "in_at",
            "received_by",
            "out_at",
            "handed_back_by",
            "collected_by_learner",
            "collected_by",
            "held_note",
            "undone_at",
            "undone_by",
        ]
        next_pk, count = self.ids[Handover], 0
        for chunk in range(0, len(self.days), 20):
            rows, entries = [], []
            for day in self.days[chunk : chunk + 20]:
                morning, afternoon = at(day, 8, 10), at(day, 15, 5)
                for learner_id, tag in handing_in:
                    if rng.random() > 0.93:
                        continue
                    in_at = morning + timedelta(seconds=rng.randrange(2700))
                    roll = rng.random()
                    if roll < 0.002:  # still held at the end of the day
                        out_at, back_by, guardian = None, None, None
                    elif roll < 0.03:  # collected by a parent/carer
                        out_at = afternoon + timedelta(seconds=rng.randrange(3600))
                        back_by, guardian = office, self.collector[learner_id].pk
                    else:
                        out_at = afternoon + timedelta(seconds=rng.randrange(2400))
                        back_by, guardian = office, None
                    entries.append((school_id, next_pk, "in", in_at, office, False, ""))
                    if out_at:
                        entries.append((school_id, next_pk, "out", out_at, office, False, ""))
                    rows.append(
                        (
                            next_pk,
                            school_id,
                            learner_id,
                            day,
                            tag,
                            in_at,
                            office,
                            out_at,
                            back_by,
                            bool(out_at) and guardian is None,
                            guardian,
                            "" if out_at else "Parent to collect tomorrow",
                            None,
                            None,
                        )
                    )
                    next_pk += 1
            count += self.writer.write(Handover, fields, rows)
            self.writer.write(
                DeskEntry, ["school", "handover", "kind", "at", "by", "undone", "reason"], entries
            )
        self.ids[Handover] = next_pk
        self.handover_count = count
        DayReconciliation.objects.bulk_create(
            DayReconciliation(
                school=self.school,
                school_day=day,
                reconciled_at=at(day, 16, 30),
                reconciled_by_id=office,
            )
            for day in self.days
        )

    # -- concerns ----------------------------------------------------------------------

    def _child(self):
        return self.of_concern[
            min(
                len(self.of_concern) - 1,
                _bisect(self.concern_cum, self.rng.random()),
            )
        ]

    def concerns(self):
        rng, part = self.rng, self.part
        keys = list(CATEGORY_MIX)
        cum, acc = [], 0.0
        total = sum(CATEGORY_MIX.values())
        for k in keys:
            acc += CATEGORY_MIX[k] / total
            cum.append(acc)
        days_by_term = {}
        for day in self.days:
            term = next(t for t in self.term_rows if t[1] <= day <= t[2])
            days_by_term.setdefault(term, []).append(day)
        now = timezone.now()
        planned = []  # (concern, category, involvements)
        for term, days in days_by_term.items():
            term_days = sum(
                is_working_day(term[1] + timedelta(n)) for n in range((term[2] - term[1]).days + 1)
            )
            count = round(part.learners * part.concern_rate * len(days) / term_days)
            for _ in range(count):
                day = rng.choice(days)
                category = self.categories[keys[min(len(keys) - 1, _bisect(cum, rng.random()))]]
                planned.append(self._concern(day, category, now))
        # Every triage queue has some: two of each status from the last school days.
        for status in ("new", "in_progress", "awaiting_referral", "closed"):
            for day in self.days[-2:]:
                planned.append(
                    self._concern(day, self.categories["device_misuse"], now, status=status)
                )
        # One long-running concern, reported about a year ago (or at the start of history),
        # about the child of concern with the longest history.
        start = max(self.days[0], self.today - timedelta(days=330))
        long_day = next(d for d in self.days if d >= start)
        long = self._concern(long_day, self.categories["social_media"], now, long=True)
        planned.append(long)
        concerns = Concern.objects.bulk_create([c for c, _ in planned], batch_size=2000)
        involvements, routed, entries, notes, views = [], [], [], [], []
        Routed = Concern.routed_to.through
        content_type = ContentType.objects.get_for_model(Concern)
        self.concern_child = {}
        for concern, people in zip(concerns, (p for _, p in planned), strict=True):
            for person in people:
                person.concern = concern
                involvements.append(person)
                if person.part == "child":
                    self.concern_child.setdefault(concern.pk, person.learner)
            category = self.categories_by_id[concern.category_id]
            everyone = [concern.owner] + [
                self.holders[r]
                for r in category.informed_roles
                if r in self.holders and self.holders[r] != concern.owner
            ]
            if concern.immediate_danger and self.holders[R.HEADTEACHER] not in everyone:
                everyone.append(self.holders[R.HEADTEACHER])
            for i, user in enumerate(everyone):
                routed.append(Routed(concern_id=concern.pk, user_id=user.pk))
                title = (
                    "A new concern for you to triage"
                    if i == 0
                    else "A new concern you are informed of"
                )
                old = concern.reported_at < now - timedelta(days=2)
                notes.append(
                    (
                        self.school.pk,
                        user.pk,
                        concern.reported_at,
                        title,
                        f"/incidents/{concern.pk}/",
                        "normal",
                        concern.reported_at + timedelta(hours=1) if old else None,
                        concern.reported_at + timedelta(minutes=1),
                        1,
                        "",
                    )
                )
            entries += self._entries(concern, category, long=concern is long[0])
            if concern.read_at:
                for viewer in everyone[:2]:
                    views.append(
                        (
                            self.school.pk,
                            viewer.pk,
                            viewer.get_full_name(),
                            concern.read_at,
                            "view",
                            content_type.pk,
                            concern.pk,
                            f"concern #{concern.pk}",
                        )
                    )
        for involvement in involvements:
            involvement.is_subject = involvement.part in Involvement.SUBJECT_PARTS
        Involvement.objects.bulk_create(involvements, batch_size=2000)
        Routed.objects.bulk_create(routed, batch_size=2000)
        Entry.objects.bulk_create(entries, batch_size=2000)
        self.writer.write(
            Notification,
            [
                "school",
                "recipient",
                "created_at",
                "title",
                "url",
                "urgency",
                "read_at",
                "emailed_at",
                "email_attempts",
                "email_error",
            ],
            notes,
        )
        self.writer.write(
            AccessLog,
            ["school", "user", "user_name", "at", "action", "content_type", "object_id", "what"],
            views,
        )
        self.concern_list = concerns

    @property
    def categories_by_id(self):
        if not hasattr(self, "_by_id"):
            self._by_id = {c.pk: c for c in self.categories.values()}
        return self._by_id

    def _concern(self, day, category, now, long=False, status=None):
        rng = self.rng
        reported = at(day, 9, 0, rng.randrange(8 * 3600))
        age = (now - reported).days
        if status:
            pass
        elif long:
            status = Concern.Status.IN_PROGRESS
        elif age > 30:
            status = Concern.Status.CLOSED if rng.random() < 0.99 else Concern.Status.IN_PROGRESS
        elif age > 7:
            status = rng.choices(["closed", "in_progress", "awaiting_referral"], [70, 20, 10])[0]
        else:
            status = rng.choices(
                ["new", "in_progress", "awaiting_referral", "closed"], [20, 40, 15, 25]
            )[0]
        if status == "awaiting_referral" and not category.required_referrals:
            status = "in_progress"
        if category.is_about_head:
            owner = self.holders[R.CHAIR]
        else:
            owner = self.holders.get(category.owner_role, self.holders[R.DSL])
        if category.deadline_unit == "minutes":
            deadline = reported + timedelta(minutes=category.deadline_amount)
        else:
            deadline = reported + timedelta(days=1 if reported.weekday() < 4 else 3)
        reporter = rng.choice(self.teachers)
        danger = category.is_immediate_danger
        overdue = status == "new" and deadline < now
        concern = Concern(
            school=self.school,
            category=category,
            reporter=reporter,
            reported_at=reported,
            what_happened=("Long-running case. " if long else "") + TEXT * rng.randint(1, 3),
            happened_at=reported - timedelta(minutes=rng.randint(10, 600)),
            where=rng.choice(PLACES),
            done_already="Spoke to the learner." if rng.random() < 0.5 else "",
            immediate_danger=danger,
            platform=rng.choice(["Snapchat", "WhatsApp", "TikTok"]) if category.is_online else "",
            is_staff_case=category.is_staff_case,
            is_about_head=category.is_about_head,
            is_online=category.is_online,  # as Concern.save copies it (bulk_create does not)
            status=status,
            risk_level="" if status == "new" else rng.choice(["low", "low", "medium", "high"]),
            owner=owner,
            deadline=deadline,
            # Overdue and new: already escalated, but one in ten still waits for the job.
            escalation_level=(0 if rng.random() < 0.1 else 2) if overdue else 0,
            read_at=None if status == "new" else reported + timedelta(minutes=rng.randint(5, 300)),
            first_read_by=None if status == "new" else owner,
        )
        if status == "closed":
            concern.closed_at = reported + timedelta(days=rng.randint(1, 20), hours=2)
            if concern.closed_at > now:
                concern.closed_at = now - timedelta(hours=1)
            concern.decision = "No further action beyond the school's response."
            concern.closure_reason = "Parents informed; behaviour addressed."
            concern.outcome = "Resolved."
            if rng.random() < 0.02:
                concern.lessons_learnt = "Remind staff of the reporting route."
        people = []
        if category.is_about_head:
            people.append(
                Involvement(kind="staff", staff=self.holders[R.HEADTEACHER], part="alleged")
            )
        elif category.is_staff_case:
            people.append(
                Involvement(kind="staff", staff=rng.choice(self.teachers), part="alleged")
            )
        else:
            child = self.of_concern[0] if long else self._child()
            people.append(Involvement(kind="learner", learner=child, part="child"))
            if rng.random() < 0.25:
                other = rng.choice(self.learners)
                if other != child:
                    part = rng.choice(["witness", "alleged"])
                    people.append(Involvement(kind="learner", learner=other, part=part))
        return concern, people

    def _entries(self, concern, category, long=False):
        rng = self.rng
        if concern.status == Concern.Status.NEW:
            return []
        owner = concern.owner
        start = concern.reported_at
        triaged = start + timedelta(minutes=rng.randint(10, 26 * 60))
        if concern.closed_at:
            triaged = min(triaged, concern.closed_at - timedelta(minutes=30))
        rows = [
            Entry(
                concern_id=concern.pk,
                kind=Entry.Kind.TRIAGE,
                at=triaged,
                author=owner,
                text="Triaged: spoke to the learner and the class teacher.",
                risk_level=concern.risk_level,
                owner=owner,
            )
        ]
        referrals = list(category.required_referrals)
        if concern.status == Concern.Status.AWAITING_REFERRAL:
            referrals = referrals[:-1]
        for value in referrals:
            when = triaged + timedelta(hours=rng.randint(1, 20))
            rows.append(
                Entry(
                    concern_id=concern.pk,
                    kind=Entry.Kind.REFERRAL,
                    at=when,
                    author=owner,
                    referral=value,
                    referred_at=when,
                    police_reference=f"CAD{rng.randint(1000, 9999)}"
                    if value == Referral.POLICE
                    else "",
                    text="Referred.",
                )
            )
        if rng.random() < 0.5:
            rows.append(
                Entry(
                    concern_id=concern.pk,
                    kind=Entry.Kind.PARENT_CONTACT,
                    at=triaged + timedelta(hours=2),
                    author=owner,
                    contact_who="Mother",
                    contact_how="Phone",
                    text="Parent told.",
                )
            )
        extra = long and self.part.long_timeline or rng.randint(0, 3)
        span = max(1, int(((concern.closed_at or timezone.now()) - triaged).total_seconds()))
        for k in range(extra):
            kind = rng.choice([Entry.Kind.ACTION, Entry.Kind.NOTE, Entry.Kind.ADDITION])
            when = triaged + timedelta(seconds=span * (k + 1) // (extra + 1))
            rows.append(
                Entry(
                    concern_id=concern.pk,
                    kind=kind,
                    at=when,
                    author=concern.reporter if kind == Entry.Kind.ADDITION else owner,
                    text="Follow-up: checked in with the learner; no further messages.",
                    action_by="Class teacher" if kind == Entry.Kind.ACTION else "",
                    action_due=when.date() + timedelta(days=7)
                    if kind == Entry.Kind.ACTION
                    else None,
                    action_done=kind == Entry.Kind.ACTION and rng.random() < 0.8,
                )
            )
        if concern.status == Concern.Status.CLOSED:
            rows.append(
                Entry(
                    concern_id=concern.pk,
                    kind=Entry.Kind.CLOSURE,
                    at=concern.closed_at,
                    author=owner,
                    text=f"Decision: {concern.decision}\nReason: {concern.closure_reason}",
                )
            )
        return rows

    # -- confiscations -----------------------------------------------------------------

    def confiscations(self):
        rng = self.rng
        per_day = 0.5 * self.part.learners / 1000
        device_concerns = [
            c for c in self.concern_list if c.category_id == self.categories["device_misuse"].pk
        ]
        planned = []
        for day in self.days:
            n = int(per_day) + (rng.random() < per_day % 1)
            for _ in range(n):
                planned.append((at(day, 10, 0, rng.randrange(4 * 3600)), self._child(), None))
        for concern in device_concerns:
            if rng.random() < 0.3:
                child = self.concern_child.get(concern.pk) or self._child()
                planned.append((concern.reported_at, child, concern))
        # The learner of the long-running case: several devices taken in their concerns.
        theirs = [
            c for c in self.concern_list if self.concern_child.get(c.pk) == self.of_concern[0]
        ]
        for concern in theirs[: 2 + self.part.learners // 30]:
            planned.append((concern.reported_at, self.of_concern[0], concern))
        now = timezone.now()
        confiscations = Confiscation.objects.bulk_create(
            [
                Confiscation(
                    school=self.school,
                    learner=learner,
                    device=rng.choice(DEVICES),
                    reason="Used in a lesson against the policy.",
                    confiscated_by=rng.choice(self.teachers),
                    confiscated_at=when,
                    held_at="Office safe",
                    concern=concern,
                    state=(
                        CustodyState.POLICE
                        if rng.random() < 0.02
                        else CustodyState.RELEASED
                        if now - when > timedelta(days=1)
                        else CustodyState.SECURED
                    ),
                )
                for when, learner, concern in planned
            ],
            batch_size=2000,
        )
        office = self.users["office"]
        events = []
        for c in confiscations:
            events.append(
                CustodyEvent(
                    confiscation=c,
                    sequence=1,
                    state=CustodyState.CONFISCATED,
                    at=c.confiscated_at,
                    by=c.confiscated_by,
                    location="Classroom",
                )
            )
            if c.state == CustodyState.POLICE:
                events.append(
                    CustodyEvent(
                        confiscation=c,
                        sequence=2,
                        state=CustodyState.POLICE,
                        at=c.confiscated_at + timedelta(hours=3),
                        by=self.holders[R.DSL],
                        officer="PC Bench",
                        force="Bench Constabulary",
                        reference=f"REF{c.pk}",
                        seal_number=f"S{c.pk}",
                    )
                )
                continue
            events.append(
                CustodyEvent(
                    confiscation=c,
                    sequence=2,
                    state=CustodyState.SECURED,
                    at=c.confiscated_at + timedelta(minutes=20),
                    by=office,
                    location="Office safe",
                )
            )
            if c.state == CustodyState.RELEASED:
                guardian = self.collector[c.learner_id]
                events.append(
                    CustodyEvent(
                        confiscation=c,
                        sequence=3,
                        state=CustodyState.RELEASED,
                        at=c.confiscated_at + timedelta(hours=6),
                        by=office,
                        guardian=guardian,
                        guardian_name=guardian.name,
                        relationship="Mother",
                        checked_by=office,
                        id_checked=True,
                    )
                )
        CustodyEvent.objects.bulk_create(events, batch_size=2000)

    # -- breaches of the phone policy, the sanctions ladder, parents' notices (issue 18) --

    #: Breaches a school day per 1,000 learners: a phone-free school's few a day.
    BREACHES_PER_DAY = 2.0

    def breaches(self):
        """Breaches at a realistic rate (the learners of concern more often), each given the
        default ladder's step for the learner's number in the term (1 in 25 another step, with
        a reason), and the notices parents are sent for the steps that involve them: by email,
        a letter when no address is on file (1 in 10), plus "ready to collect" for a tenth of
        the confiscations."""
        rng = self.rng
        steps = ladder_seed(school=self.school)
        per_day = self.BREACHES_PER_DAY * self.part.learners / 1000
        term_of = {}
        for _season, start, end in self.term_rows:
            for day in self.days:
                if start <= day <= end:
                    term_of[day] = start
        count: dict[tuple[int, date], int] = {}
        breaches = []
        places, periods = Place.values, Period.values
        for day in self.days:
            n = int(per_day) + (rng.random() < per_day % 1)
            for _ in range(n):
                learner = self._child()
                key = (learner.pk, term_of.get(day))
                count[key] = count.get(key, 0) + 1
                step = ladder_step(steps, count[key])
                applied, reason = step, ""
                if rng.random() < 0.04:
                    applied = rng.choice([s for s in steps if s.pk != step.pk] or [step])
                    reason = "" if applied is step else "Filmed another learner"
                teacher = rng.choice(self.teachers)
                breaches.append(
                    Breach(
                        school=self.school,
                        learner=learner,
                        kind=rng.choice(["seen", "used"]),
                        at=at(day, 8, 30, rng.randrange(7 * 3600)),
                        period=rng.choice(periods),
                        place=rng.choice(places),
                        seen_by=teacher,
                        recorded_by=teacher,
                        number_in_term=count[key],
                        ladder_position=step.position,
                        ladder_consequence=step.consequence,
                        applied_position=applied.position,
                        consequence=applied.consequence,
                        involves_parents=applied.involves_parents,
                        override_reason=reason,
                    )
                )
        Breach.objects.bulk_create(breaches, batch_size=2000)
        notices = []
        for b in breaches:
            if not b.involves_parents:
                continue
            letter = rng.random() < 0.1
            guardian = self.collector[b.learner_id]
            notices.append(
                ParentNotice(
                    school=self.school,
                    learner_id=b.learner_id,
                    guardian=guardian,
                    kind=ParentNotice.Kind.BREACH,
                    channel=ParentNotice.Channel.LETTER if letter else ParentNotice.Channel.EMAIL,
                    breach=b,
                    by=b.recorded_by,
                    created_at=b.at + timedelta(minutes=10),
                    email="" if letter else "parent@bench.invalid",
                    emailed_at=None if letter else b.at + timedelta(minutes=11),
                )
            )
        for c in Confiscation.objects.filter(school=self.school).values(
            "pk", "learner_id", "confiscated_at"
        ):
            if rng.random() < 0.1:
                notices.append(
                    ParentNotice(
                        school=self.school,
                        learner_id=c["learner_id"],
                        guardian=self.collector[c["learner_id"]],
                        kind=ParentNotice.Kind.READY,
                        channel=ParentNotice.Channel.EMAIL,
                        confiscation_id=c["pk"],
                        created_at=c["confiscated_at"] + timedelta(hours=5),
                        email="parent@bench.invalid",
                        emailed_at=c["confiscated_at"] + timedelta(hours=5, minutes=1),
                    )
                )
        ParentNotice.objects.bulk_create(notices, batch_size=2000)

    # -- policies ----------------------------------------------------------------------

    def policies(self):
        rng, today = self.rng, self.today
        body = "\n\n".join(
            f"## {n}. Section {n}\n\n" + "Staff and learners follow this policy. " * 30
            for n in range(1, 9)
        )
        policies = []
        for i, title in enumerate(POLICIES + LISTED_POLICIES):
            listed = title in LISTED_POLICIES
            ratified = today - timedelta(days=rng.randint(40, 330))
            next_review = ratified + timedelta(days=365)
            if i == 0:
                next_review = today - timedelta(days=10)  # overdue
            elif i == 1:
                next_review = today + timedelta(days=5)  # due within the week
            policies.append(
                Policy(
                    school=self.school,
                    title=title,
                    slug=title.lower().replace(" ", "-"),
                    listed_only=listed,
                    owner="Headteacher",
                    body="" if listed else body,
                    status=Policy.Status.RATIFIED,
                    dsl=self.holders[R.DSL],
                    deputy_dsl=self.holders[R.DEPUTY_DSL],
                    osl=self.holders[R.OSL],
                    governor=self.users["governor"],
                    written_on=ratified - timedelta(days=30),
                    ratified_on=ratified,
                    next_review_on=next_review,
                    requires_acknowledgement=not listed,
                )
            )
        policies = Policy.objects.bulk_create(policies)
        versions = []
        for policy in policies:
            if policy.listed_only:
                continue
            count = self.part.years + 1
            for number in range(1, count + 1):
                ratified = policy.ratified_on - timedelta(days=365 * (count - number))
                versions.append(
                    PolicyVersion(
                        policy=policy,
                        number=number,
                        body=body,
                        change_summary=f"Annual review {ratified.year}",
                        created_by=self.holders[R.DSL],
                        ratified_on=ratified,
                        ratified_by="Governing Body",
                        recorded_by=self.holders[R.HEADTEACHER],
                    )
                )
        versions = PolicyVersion.objects.bulk_create(versions)
        acks = []
        latest = {}
        for v in versions:
            latest[v.policy_id] = max(latest.get(v.policy_id, 0), v.number)
        for v in versions:
            share = 0.9 if v.number == latest[v.policy_id] else 0.97
            for user in self.staff:
                if rng.random() < share:
                    acks.append(
                        Acknowledgement(
                            version=v,
                            user=user,
                            at=at(v.ratified_on, 12) + timedelta(days=rng.randint(0, 14)),
                        )
                    )
        Acknowledgement.objects.bulk_create(acks, batch_size=5000)
        sessions = []
        for _, start, _end in self.term_rows[::3]:
            if start < self.today:
                sessions.append(
                    TrainingSession(
                        school=self.school,
                        title=f"Safeguarding update {start.year}",
                        held_on=start,
                        topic=TrainingSession.Topic.SAFEGUARDING,
                    )
                )
        sessions = TrainingSession.objects.bulk_create(sessions)
        TrainingAttendance.objects.bulk_create(
            TrainingAttendance(session=s, user=u)
            for s in sessions
            for u in self.staff
            if rng.random() < 0.95
        )


def _bisect(cum: list[float], x: float) -> int:
    lo, hi = 0, len(cum)
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo
