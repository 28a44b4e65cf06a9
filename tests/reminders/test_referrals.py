from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from incidents.jobs import chase_referrals
from incidents.models import Entry, Referral
from incidents.services import concern_record
from tests.factories import report
from tests.reminders.helpers import LONDON, told

OWNER_LADO = "A required LADO referral is past its deadline"
HEAD_LADO = "A required LADO referral is still not recorded"


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


def staff_allegation(world, when):
    # Headteacher owns it; LADO within one working day (DESIGN.md routing table).
    return report(
        world.school,
        world.users["office"],
        "staff_online_conduct",
        people=[(world.users["leadership"], "alleged")],
        when=when,
    )


def test_lado_is_due_one_working_day_later_skipping_a_weekend_and_a_bank_holiday(world):
    friday = datetime(2027, 4, 30, 10, tzinfo=LONDON)  # Monday 3 May is a bank holiday
    concern = staff_allegation(world, friday)
    assert chase_referrals(datetime(2027, 5, 3, 12, tzinfo=LONDON)) == 0  # bank holiday
    assert chase_referrals(datetime(2027, 5, 4, 9, 59, tzinfo=LONDON)) == 0
    chase_referrals(datetime(2027, 5, 4, 10, 1, tzinfo=LONDON))
    chase_referrals(datetime(2027, 5, 4, 10, 6, tzinfo=LONDON))
    assert told(world, title__contains="referral") == {"head": [OWNER_LADO]}
    assert concern.owner == world.users["head"]


def test_then_the_headteacher_a_working_day_later(world):
    concern = report(world.school, world.users["office"], "staff_contact", when=timezone.now())
    concern.category.required_referrals = [Referral.LADO]
    concern.category.save()
    thursday = datetime(2026, 11, 26, 9, tzinfo=LONDON)
    type(concern).objects.filter(pk=concern.pk).update(reported_at=thursday)
    chase_referrals(datetime(2026, 11, 27, 9, 1, tzinfo=LONDON))  # Friday: the owner (DSL)
    chase_referrals(datetime(2026, 11, 30, 8, 59, tzinfo=LONDON))  # Monday before 09:00
    assert told(world, title__contains="referral") == {"dsl": [OWNER_LADO]}
    chase_referrals(datetime(2026, 11, 30, 9, 1, tzinfo=LONDON))
    chase_referrals(datetime(2026, 11, 30, 9, 6, tzinfo=LONDON))
    assert told(world, title__contains="referral") == {"dsl": [OWNER_LADO], "head": [HEAD_LADO]}


def test_a_recorded_referral_stops_the_chase(world):
    friday = datetime(2027, 4, 30, 10, tzinfo=LONDON)
    concern = staff_allegation(world, friday)
    concern_record(
        concern=concern,
        by=world.users["head"],
        kind=Entry.Kind.REFERRAL,
        fields={
            "referral": Referral.LADO,
            "referred_at": friday + timedelta(hours=2),
            "text": "Discussed with the LADO.",
        },
    )
    assert chase_referrals(datetime(2027, 5, 10, 12, tzinfo=LONDON)) == 0


def test_police_is_due_by_the_concerns_own_deadline(world):
    now = datetime(2026, 11, 24, 10, tzinfo=LONDON)
    concern = report(world.school, world.users["teacher"], "illegal_material", when=now)
    assert concern.deadline == now + timedelta(minutes=60)
    assert chase_referrals(now + timedelta(minutes=59)) == 0
    chase_referrals(now + timedelta(minutes=61))
    assert told(world, title__contains="referral") == {
        "dsl": ["A required Police referral is past its deadline"]
    }
    chase_referrals(now + timedelta(minutes=121))
    assert told(world, title__contains="referral")["head"] == [
        "A required Police referral is still not recorded"
    ]


def test_a_closed_concern_is_not_chased(world):
    concern = staff_allegation(world, datetime(2027, 4, 30, 10, tzinfo=LONDON))
    type(concern).objects.filter(pk=concern.pk).update(status="closed")
    assert chase_referrals(datetime(2027, 6, 1, tzinfo=LONDON)) == 0
