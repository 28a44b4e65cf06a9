"""The demo (seed_demo) holds terms of breaches as a school would have them: spread over the
school days, places and parts of the day, the ladder's step applied (two changed with a
reason), phones kept until a parent collects them, exemptions with their review dates,
notices to parents by email and letter, and searches. The evidence pack shows them."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from conduct.models import Breach, ParentNotice
from devices.models import Confiscation, LearnerExemption, Search
from people.calendar import SchoolCalendar
from people.models import School

pytestmark = pytest.mark.usefixtures("demo")


def _school():
    return School.objects.get(name="Anthony Roper Primary School")


def test_the_demo_has_three_terms_of_breaches_spread_over_places_and_times_of_day():
    school = _school()
    calendar = SchoolCalendar(school)
    today = SchoolCalendar.today()
    last = calendar.last_completed_term(today)
    breaches = list(Breach.objects.filter(school=school).order_by("at"))
    in_last = [b for b in breaches if last.starts_on <= b.at.date() <= last.ends_on]
    assert len(breaches) > 60 and len(in_last) > 20
    assert len({b.at.date() for b in in_last}) > 15  # over the term, not on one day
    assert {b.period for b in breaches} == {"before", "lesson", "break", "lunch", "after"}
    assert len({b.place for b in breaches}) >= 5
    assert all(b.at.date() < today and calendar.is_school_day(b.at.date()) for b in breaches)
    # The ladder's step, by breach number in the term; two steps changed, each with a reason.
    assert {b.number_in_term for b in breaches} >= {1, 2, 3, 4}
    changed = [b for b in breaches if b.overridden]
    assert len(changed) == 2 and all(b.override_reason for b in changed)
    assert all(b.ladder_position == min(b.number_in_term, 3) for b in breaches)


def test_phones_kept_for_a_parent_were_secured_and_collected_and_two_devices_are_held():
    school = _school()
    kept = Breach.objects.filter(school=school, applied_position__gte=2)
    assert kept.exists()
    assert not kept.filter(confiscation__isnull=True).exists()
    for c in Confiscation.objects.filter(breaches__in=kept).distinct():
        states = list(c.events.values_list("state", flat=True))
        assert states == ["confiscated", "secured", "released"]
        assert c.events.order_by("sequence").last().at.date() == c.confiscated_at.date()
    assert Confiscation.objects.filter(school=school).open().count() == 2
    assert Search.objects.filter(school=school, anything_found=False).exists()
    assert Search.objects.filter(school=school, confiscation__breaches__isnull=False).exists()


def test_parents_were_told_by_email_and_letter_when_it_happened():
    school = _school()
    notices = ParentNotice.objects.filter(school=school, breach__isnull=False)
    channels = set(notices.values_list("channel", flat=True))
    assert channels == {"email", "letter", "none"}
    for notice in notices:
        assert notice.created_at == notice.breach.at
    assert ParentNotice.objects.filter(kind="ready", channel="letter").exists()
    # Emailed when they were made, but for one that failed (the demo shows what staff see) and
    # those of the devices demo's two confiscations, made today, that wait for the job.
    waiting = ParentNotice.objects.filter(channel="email", emailed_at__isnull=True)
    assert waiting.exclude(email_error="").count() == 1
    today = SchoolCalendar.today()
    assert all(n.created_at.date() == today for n in waiting.filter(email_error=""))


def test_exemptions_have_review_dates_one_coming_up_and_one_lapsed():
    today = SchoolCalendar.today()
    exemptions = LearnerExemption.objects.filter(school=_school(), status="approved")
    reviews = sorted(e.review_on for e in exemptions)
    assert len(reviews) == 4
    assert reviews[0] < today  # lapsed last term, not renewed
    assert today < reviews[1] <= today + timedelta(days=14)  # the reminder's ten school days
    assert {e.reason for e in exemptions} == {"medical", "carer", "other"}


def test_the_evidence_pack_of_last_term_shows_every_section(client):
    client.force_login(get_user_model().objects.get(username="deputy"))
    pack = client.get(reverse("reports:evidence")).context["pack"]
    assert pack.exemptions  # the full copy: the deputy is leadership
    totals = {
        section.title: table.rows[-1].cells
        for section in pack.sections[:5]
        for table in section.tables[:1]
    }
    compliance = totals["Hand-in compliance"]
    expected, handed = int(compliance[0]), int(compliance[1])
    assert 0.8 * expected < handed < expected
    assert int(totals["Breaches by place and time of day"][-1]) > 20
    on, other, _ = (int(c) for c in totals["Consistency of sanctions"])
    assert on > 20 and other == 1
    assert int(totals["Exemptions and their review"][-1]) >= 3
    email, letter, _none, _all = (int(c) for c in totals["Parent communication"])
    assert email > 10 and letter > 0
    trend = pack.sections[-1].tables[0].rows
    assert all(int(row.cells[3]) > 10 for row in trend[-2:])  # breaches, term on term
