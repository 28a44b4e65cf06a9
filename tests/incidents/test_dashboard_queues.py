"""The triage dashboard's queues, read in one query (incidents/services.py `_queue_rows`),
against the rule written out in Python over every concern: each queue's size, and its most
urgent rows in order."""

from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from incidents import services
from incidents.models import Concern
from incidents.visibility import concerns_triaged_by
from people.calendar import SchoolCalendar
from tests.incidents.bulk import bulk_concerns


def _expected(concerns, since):
    """key -> (size, pks in order), by the rule the dashboard states."""
    rows = list(concerns.values("pk", "status", "deadline", "reported_at", "closed_at"))
    far = datetime.max.replace(tzinfo=timezone.get_current_timezone())
    out = {}
    for key, _, _ in services.QUEUES:
        queue = [r for r in rows if r["status"] == key]
        queue.sort(
            key=lambda r: (r["deadline"] is None, r["deadline"] or far, r["reported_at"], r["pk"])
        )
        out[key] = (len(queue), [r["pk"] for r in queue[: services.QUEUE_SIZE]])
    closed = [r for r in rows if r["status"] == "closed" and r["closed_at"] >= since]
    closed.sort(key=lambda r: (r["closed_at"], r["pk"]), reverse=True)
    out["closed"] = (len(closed), [r["pk"] for r in closed[: services.QUEUE_SIZE]])
    return out


def test_each_queue_lists_its_most_urgent_concerns_in_order_and_counts_them_all(world):
    bulk_concerns(world.school, world.users["teacher"], world.learner, 420)
    term_start = SchoolCalendar(world.school).current_term_start()
    since = timezone.make_aware(datetime.combine(term_start, time.min))
    concerns = Concern.objects.filter(school=world.school)
    # Some new concerns with no deadline (listed last), and closed ones sharing one time
    # (the number breaks the tie), some of them closed before this term (not listed).
    new = list(concerns.filter(status="new").order_by("pk").values_list("pk", flat=True))
    concerns.filter(pk__in=new[:5]).update(deadline=None)
    closed = list(concerns.filter(status="closed").order_by("pk").values_list("pk", flat=True))
    concerns.filter(pk__in=closed[:40]).update(closed_at=since + timedelta(days=1))
    concerns.filter(pk__in=closed[40:60]).update(closed_at=since - timedelta(seconds=1))

    dsl = world.users["dsl"]
    visible = concerns_triaged_by(dsl).filter(school=world.school)
    queues = services.dashboard_queues(concerns=visible, school=world.school)
    expected = _expected(visible, since)
    assert [key for key, *_ in queues] == ["new", "in_progress", "awaiting_referral", "closed"]
    for key, _, size, rows in queues:
        pks = [int(row.split("#", 1)[1].split("<", 1)[0]) for row in rows]
        assert (size, pks) == expected[key], key
    assert all(size > services.QUEUE_SIZE for _, _, size, _ in queues)


def test_an_empty_queue_says_none_and_the_page_counts_every_concern(world, as_user):
    bulk_concerns(world.school, world.users["teacher"], world.learner, 60)
    Concern.objects.filter(school=world.school, status="awaiting_referral").update(
        status="in_progress"
    )
    page = as_user(world.users["dsl"]).get(reverse("incidents:dashboard")).content.decode()
    in_progress = Concern.objects.filter(school=world.school, status="in_progress").count()
    assert f'In progress <span class="badge text-bg-secondary">{in_progress}</span>' in page
    assert 'Awaiting referral <span class="badge text-bg-secondary">0</span>' in page
    assert "<p>None.</p>" in page


def test_a_row_names_its_learners_in_the_order_they_were_added(world, as_user):
    """Their preferred name where they have one, and their class; a visitor or a member of
    staff involved is not listed among the learners; a concern with no learner shows none."""
    from tests.factories import LearnerFactory, report

    jo = LearnerFactory(
        school=world.school, legal_first_name="Joanna", preferred_name="Jo", legal_last_name="Bell"
    )
    ben = LearnerFactory(
        school=world.school, legal_first_name="Ben", legal_last_name="Ames", class_name="Ash"
    )
    teacher = world.users["teacher"]
    both = report(
        world.school,
        teacher,
        people=[(jo, "child"), ("A visitor", "witness"), (ben, "child"), (teacher, "witness")],
    )
    nobody = report(world.school, teacher, people=[("A visitor", "witness")])
    page = as_user(world.users["dsl"]).get(reverse("incidents:dashboard")).content.decode()
    row = page.split(f"#{both.pk}<", 1)[1].split("</tr>", 1)[0]
    assert "<td>Jo Bell (Oak), Ben Ames (Ash)</td>" in row
    row = page.split(f"#{nobody.pk}<", 1)[1].split("</tr>", 1)[0]
    assert "</td><td></td><td>" in row  # category, then no learner
