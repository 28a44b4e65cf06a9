"""Demo data for incidents: the default categories for each demo school and a few concerns
at Anthony Roper Primary School. Running it again restores them (people/demo.py)."""

from datetime import date, timedelta

from django.contrib.auth.models import Permission
from django.utils import timezone

from incidents.models import Category, Concern, FilteringReview, Involvement
from incidents.routing import categories_seed
from incidents.services import concern_report
from people.demo import demo_record

DEMO_CONCERNS = [
    # category key, reporter, what happened, where, learner index, part
    (
        "social_media",
        "teacher",
        "Said in class they have a TikTok account and talk to people they do not know.",
        "Classroom",
        0,
        Involvement.Part.CHILD,
    ),
    (
        "abusive_messages",
        "office",
        "A parent showed unkind messages sent in a class group chat.",
        "School office",
        3,
        Involvement.Part.CHILD,
    ),
    (
        "device_misuse",
        "teacher",
        "Phone used to take photos in the playground at lunch.",
        "Playground",
        7,
        Involvement.Part.ALLEGED,
    ),
]


def seed(demo):
    for school in (demo.school, demo.other_school):
        categories_seed(school=school)
    if "admin" in demo.users:
        # The admin role edits the categories (the routing rules) in the Django admin.
        demo.users["admin"].user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="incidents",
                codename__in=["add_category", "change_category", "view_category"],
            )
        )
    learners = list(demo.school.learners.order_by("upn")[:10])
    now = timezone.now()
    # A concern's chronology is never rewound: once the demo's concern has been triaged, the
    # demo reports it afresh, so the triage dashboard has its concerns to try.
    awaiting = Concern.objects.filter(school=demo.school, status=Concern.Status.NEW)
    for key, reporter, text, where, index, part in DEMO_CONCERNS:
        if awaiting.filter(reporter=demo.users[reporter], what_happened=text).exists():
            continue
        concern_report(
            school=demo.school,
            reporter=demo.users[reporter],
            data={
                "category": Category.objects.get(school=demo.school, key=key),
                "what_happened": text,
                "happened_at": now - timedelta(hours=3),
                "where": where,
            },
            involvements=[{"kind": "learner", "learner": learners[index], "part": part}]
            if len(learners) > index
            else [],
        )

    # Last year's filtering and monitoring review: the next is due in December, so the page
    # and the filtering-review job show it coming up.
    demo_record(
        FilteringReview,
        key={"school": demo.school, "reviewed_on": date(2025, 12, 15)},
        seeded={
            "dsl": demo.users["head"],
            "senior_leader": demo.users.get("deputy"),
            "it_provider": "Sam Patel, EIS (Kent)",
            "filtering_provider": "Smoothwall Filter, via the Kent network",
            "blocked": "The IWF and CTIRU lists, pornography, gambling, self-harm, extremism; "
            "the same for guests on the Wi-Fi",
            "monitoring": FilteringReview.Monitoring.MIXED,
            "monitoring_notes": "Smoothwall alerts to the DSL by email; staff supervise in class",
            "tested": True,
            "test_notes": "SWGfL test on laptops, iPads and the guest Wi-Fi: all blocked",
            "actions": "Block AI image generators on pupil accounts (done January 2026)",
            "next_review_on": date(2026, 12, 15),
        },
    )
