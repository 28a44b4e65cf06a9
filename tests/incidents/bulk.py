"""Many concerns at once, for query-count tests and the 10,000-concern measurement."""

from datetime import timedelta

from django.utils import timezone

from incidents.models import Category, Concern, Involvement


def bulk_concerns(school, reporter, learner, count: int) -> None:
    categories = list(Category.objects.filter(school=school))
    now = timezone.now()
    statuses = [s for s, _ in Concern.Status.choices]
    concerns = Concern.objects.bulk_create(
        [
            Concern(
                school=school,
                category=categories[n % len(categories)],
                reporter=reporter,
                reported_at=now - timedelta(minutes=n),
                what_happened=f"Bulk concern {n}",
                happened_at=now - timedelta(minutes=n + 5),
                where="Playground",
                is_staff_case=False,
                # As `Concern.save` copies it (bulk_create does not call it).
                is_online=categories[n % len(categories)].is_online,
                status=statuses[n % len(statuses)],
                deadline=now + timedelta(minutes=(n % 300) - 100),
                closed_at=now if statuses[n % len(statuses)] == "closed" else None,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    Involvement.objects.bulk_create(
        [
            Involvement(concern=c, kind="learner", learner=learner, part="child", is_subject=True)
            for c in concerns
        ],
        batch_size=1000,
    )
