"""The fixes this benchmark proposes for app code it does not own (issue 9's report), applied
in the benchmark's process only, so that `python -m bench.run --proposed` measures the figures
*after* them beside the figures of the code as it is. Nothing here changes app files.

1. devices/desk.py `last_entries`: bound the query to the day (`at` from the day's start), so
   that PostgreSQL reads only today's entries instead of walking the whole `at` index back
   through years of history whenever a school has fewer than 10 entries today.
2. devices/services.py `handover_check_in`: the pouch-number lookup adds
   `undone_at__isnull=True`, so that it uses the partial unique index (learner, school_day)
   instead of scanning the `school_day` index of every school for a learner with no tag.
3. devices/models.py `Handover.Meta.indexes`: `models.Index(Upper("tag"),
   name="handover_tag_upper")` for the desk search's pouch-number match (`tag__iexact`),
   which otherwise scans every handover of every school on each single-word search.
   Here: created as a plain index in the benchmark's database (`bench_proposed_tag_upper`).

`gunicorn bench.wsgi_proposed:application` serves Roper with 1 and 2 applied in each worker.
"""

from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

INDEX = "bench_proposed_tag_upper"


def last_entries(*, school, day: date, limit: int = 10):
    from devices.models import DeskEntry

    start = timezone.make_aware(datetime.combine(day, time.min))
    return list(
        DeskEntry.objects.filter(
            school=school,
            handover__school_day=day,
            at__gte=start,
            at__lt=start + timedelta(days=1, hours=1),
        )
        .select_related("handover__learner", "handover__collected_by", "by")
        .order_by("-at", "-pk")[:limit]
    )


def handover_check_in(*, learner, by, tag: str = "", reason: str = ""):
    from devices import services
    from devices.models import DeskEntry, DeskError, Handover

    now = timezone.now()
    day = services.school_day(now)
    try:
        with transaction.atomic():
            services._lock_learner(learner)
            existing = Handover.objects.filter(
                learner=learner, school_day=day, undone_at__isnull=True
            ).first()
            if existing:
                raise DeskError(
                    f"{learner.name}'s phone was already checked in at "
                    f"{timezone.localtime(existing.in_at):%H:%M}."
                )
            services._needs_reason(learner.school_id, day, reason)
            if not tag:
                tag = (
                    Handover.objects.filter(learner=learner, undone_at__isnull=True)  # 2.
                    .exclude(tag="")
                    .order_by("-school_day")
                    .values_list("tag", flat=True)
                    .first()
                    or ""
                )
            handover = Handover.objects.create(
                school_id=learner.school_id,
                learner=learner,
                school_day=day,
                tag=tag,
                in_at=now,
                received_by=by,
            )
            DeskEntry.objects.create(
                school_id=learner.school_id,
                handover=handover,
                kind=DeskEntry.Kind.IN,
                at=now,
                by=by,
                reason=reason,
            )
    except IntegrityError:
        raise DeskError(f"{learner.name}'s phone was already checked in.") from None
    return handover


def apply() -> None:
    from devices import desk, services

    desk.last_entries = last_entries
    services.handover_check_in = handover_check_in


def create_index() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON devices_handover (UPPER(tag::text))")
        cursor.execute("ANALYZE devices_handover")


def drop_index() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {INDEX}")
