# ruff: noqa: E402 - Django is set up before the models are imported
"""Bulk data for measuring the governors' report: one school with 1,500 learners, ~300
concerns a term over every term on file (three school years), one term of daily handovers,
80 staff with acknowledgements and training. Not a test (pytest does not collect it).
Use a scratch database:

    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/roper_reports_measure \\
        .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo && \\
        N_SCHOOLS=20 .venv/bin/python tests/reports/bulk_report.py && \\
        .venv/bin/python tests/reports/measure_report.py
"""

import os
import random
import sys
import time as _t
from datetime import date, datetime, time, timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roper.settings")
sys.path.insert(0, "/work/main")
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone

from devices.models import Confiscation, CustodyState, DayReconciliation, Handover
from incidents.models import Category, Concern, Entry
from incidents.routing import categories_seed
from people.calendar import is_working_day
from people.demo import TERMS
from people.models import Learner, Membership, School, Term, Trust
from policies.models import (
    Acknowledgement,
    Policy,
    PolicyVersion,
    TrainingAttendance,
    TrainingSession,
)

N_SCHOOLS = int(os.environ.get("N_SCHOOLS", "1"))
rng = random.Random(5)
User = get_user_model()
trust, _ = Trust.objects.get_or_create(name="Bench trust")
t0 = _t.perf_counter()
for s in range(N_SCHOOLS):
    school, created = School.objects.get_or_create(
        urn=f"77{s:04d}", defaults={"name": f"Bench school {s}", "trust": trust}
    )
    if not created:
        continue
    terms = [
        Term.objects.create(school=school, season=a, starts_on=b, ends_on=c) for a, b, c in TERMS
    ]
    categories_seed(school=school)
    cats = list(Category.objects.filter(school=school))
    learners = Learner.objects.bulk_create(
        [
            Learner(
                school=school,
                legal_first_name=f"F{i}",
                legal_last_name=f"L{i}",
                year_group="7",
                class_name=f"C{i % 50}",
                upn=f"B{s:03d}{i:09d}",
                date_of_birth=date(2012, 1, 1),
            )
            for i in range(1500)
        ]
    )
    staff = User.objects.bulk_create([User(username=f"bench{s}_{i}") for i in range(80)])
    Membership.objects.bulk_create(
        [Membership(user=u, school=school, roles=["staff"]) for u in staff]
    )
    today = date(2026, 11, 24)
    concerns = []
    for term in terms:
        if term.starts_on > today:
            continue
        days = [
            term.starts_on + timedelta(n)
            for n in range((min(term.ends_on, today) - term.starts_on).days + 1)
        ]
        days = [d for d in days if is_working_day(d)]
        for _ in range(300):
            at = timezone.make_aware(datetime.combine(rng.choice(days), time(9 + rng.randrange(6))))
            cat = rng.choice(cats)
            concerns.append(
                Concern(
                    school=school,
                    category=cat,
                    reported_at=at,
                    happened_at=at,
                    what_happened="x",
                    where="x",
                    deadline=at + timedelta(days=1),
                    status=rng.choice(["new", "in_progress", "closed", "closed"]),
                    escalation_level=rng.choice([0, 0, 0, 1]),
                    is_staff_case=cat.is_staff_case,
                    is_about_head=cat.is_about_head,
                    is_online=cat.is_online,  # as Concern.save copies it
                )
            )
    concerns = Concern.objects.bulk_create(concerns, batch_size=2000)
    entries = []
    for c in concerns:
        entries.append(
            Entry(
                concern=c, kind="triage", at=c.reported_at + timedelta(hours=rng.randrange(1, 40))
            )
        )
        for k in c.category.required_referrals:
            entries.append(
                Entry(
                    concern=c,
                    kind="referral",
                    referral=k,
                    at=c.reported_at + timedelta(hours=rng.randrange(1, 40)),
                )
            )
        entries.append(
            Entry(
                concern=c,
                kind="action",
                at=c.reported_at + timedelta(hours=50),
                action_done=rng.random() < 0.5,
            )
        )
    Entry.objects.bulk_create(entries, batch_size=5000)
    # One term of handovers (the last completed: summer 2026), ~60% of learners a day.
    summer = next(t for t in terms if t.season == "summer" and t.starts_on.year == 2026)
    office = staff[0]
    rows = []
    d = summer.starts_on
    while d <= summer.ends_on:
        if is_working_day(d):
            for learner in rng.sample(learners, 900):
                in_at = timezone.make_aware(datetime.combine(d, time(8, 30)))
                rows.append(
                    Handover(
                        school=school,
                        learner=learner,
                        school_day=d,
                        in_at=in_at,
                        received_by=office,
                        out_at=in_at + timedelta(hours=7),
                        collected_by_learner=True,
                    )
                )
            DayReconciliation.objects.create(school=school, school_day=d, reconciled_by=office)
        d += timedelta(days=1)
    Handover.objects.bulk_create(rows, batch_size=5000)
    Confiscation.objects.bulk_create(
        [
            Confiscation(
                school=school,
                learner=rng.choice(learners),
                device="p",
                reason="r",
                confiscated_by=office,
                confiscated_at=timezone.make_aware(datetime(2026, 5, 5, 10))
                + timedelta(days=i % 60),
                held_at="x",
                state=rng.choice(list(CustodyState.values)),
            )
            for i in range(150)
        ]
    )
    pol = Policy.objects.create(
        school=school,
        title="Bench policy",
        slug="bench",
        status="ratified",
        next_review_on=date(2027, 1, 1),
    )
    v = PolicyVersion.objects.create(policy=pol, number=1, body="x", ratified_on=date(2026, 1, 1))
    Acknowledgement.objects.bulk_create([Acknowledgement(version=v, user=u) for u in staff[:60]])
    ts = TrainingSession.objects.create(
        school=school, title="t", held_on=date(2026, 5, 1), topic="other"
    )
    TrainingAttendance.objects.bulk_create(
        [TrainingAttendance(session=ts, user=u) for u in staff[:50]]
    )
    print(
        school, len(concerns), len(entries), len(rows), f"{_t.perf_counter() - t0:.1f}s", flush=True
    )
