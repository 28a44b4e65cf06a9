"""Demo devices data for Anthony Roper Primary School: this morning's handovers for two
classes, two confiscations (one found in a search), an exemption and requests awaiting a
decision. Running it again restores them (people/demo.py)."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from devices import services
from devices.models import (
    Confiscation,
    CurriculumUseRequest,
    CustodyState,
    Decision,
    DeskEntry,
    Handover,
    LearnerExemption,
    ParentContactException,
    Search,
    SearchAuthorisation,
    SearchConsent,
    StaffException,
)
from people.calendar import SchoolCalendar
from people.demo import demo_record
from people.models import Learner


def _at(day, hour, minute):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _handovers(demo, day):
    office = demo.users["office"]
    if Handover.objects.filter(school=demo.school, school_day=day).exists():
        return
    learners = Learner.objects.filter(school=demo.school, class_name__in=["Hazel", "Oak"])
    for n, learner in enumerate(learners.order_by("class_name", "pk")):
        if n % 3 == 2:  # not every child brings a phone
            continue
        in_at = _at(day, 8, 40) + timedelta(seconds=20 * n)
        handover = Handover.objects.create(
            school=demo.school,
            learner=learner,
            school_day=day,
            tag=f"P{learner.pk:03d}",
            in_at=in_at,
            received_by=office,
        )
        DeskEntry.objects.create(
            school=demo.school, handover=handover, kind=DeskEntry.Kind.IN, at=in_at, by=office
        )


def _confiscations(demo):
    teacher, office = demo.users["teacher"], demo.users["office"]
    oak = Learner.objects.filter(school=demo.school, class_name="Oak").order_by("pk")
    first, second = oak[0], oak[1]
    # A device released or handed to the police stays so (custody is append-only): the demo
    # records another, so that two devices are held again.
    held = Confiscation.objects.open()
    if not held.filter(learner=first, device="Black iPhone 12").exists():
        c = services.confiscation_record(
            learner=first,
            device="Black iPhone 12",
            reason="Used to film another pupil in the playground at lunchtime.",
            reason_kind="images",
            by=teacher,
            held_at="Oak classroom drawer",
        )
        services.confiscation_move(
            confiscation=c, to_state=CustodyState.SECURED, by=office, location="Office safe"
        )
    if not held.filter(learner=second, device="Blue Samsung tablet").exists():
        services.confiscation_record(
            learner=second,
            device="Blue Samsung tablet",
            reason="Messaging during a lesson.",
            reason_kind="lesson",
            by=teacher,
            held_at="Oak classroom, locked drawer",
        )


def _searches(demo):
    """The teacher, authorised by the head to search, found the held iPhone in a search of the
    pupil's bag, witnessed by the deputy DSL."""
    teacher, head = demo.users["teacher"], demo.users["head"]
    if not SearchAuthorisation.objects.filter(
        school=demo.school, user=teacher, revoked_at__isnull=True
    ).exists():
        services.search_authorise(school=demo.school, user=teacher, by=head)
    device = (
        Confiscation.objects.open()
        .filter(school=demo.school, device="Black iPhone 12")
        .order_by("-confiscated_at")
        .first()
    )
    if device is None or Search.objects.filter(confiscation=device).exists():
        return
    services.search_record(
        search=Search(
            school=demo.school,
            learner=device.learner,
            searched_at=device.confiscated_at - timedelta(minutes=3),
            place="Oak classroom, with the pupil present",
            grounds="Two pupils said he had filmed another pupil at lunchtime and kept the phone "
            "in his bag instead of handing it in.",
            consent=SearchConsent.AGREED,
            searched_bag=True,
            searched_by=teacher,
            witness=demo.users["deputy"],
            witness_same_sex=True,
            anything_found=True,
            found="Black iPhone 12 in the front pocket of the bag.",
            confiscation=device,
            recorded_by=teacher,
        )
    )


def _exceptions(demo):
    head, teacher = demo.users["head"], demo.users["teacher"]
    learner = Learner.objects.filter(school=demo.school, class_name="Hazel").order_by("pk")[2]
    _exemptions(demo, learner)
    # An Elm learner whose mother may phone them at lunchtime: the desk shows it on their row.
    contact = Learner.objects.filter(school=demo.school, class_name="Elm").order_by("pk")[5]
    decision = _decided(Decision.APPROVED, head, "Agreed with the family liaison officer.")
    del decision["ends_on"]
    demo_record(
        ParentContactException,
        key={
            "school": demo.school,
            "learner": contact,
            "details": "Mum may phone at lunchtime (12:15–12:45) while Dad is in hospital; "
            "the learner takes the call in the office.",
        },
        seeded={"requested_by": demo.users["office"], **decision},
        new={"decided_at": timezone.now(), "ends_on": SchoolCalendar.today() + timedelta(days=60)},
    )
    demo_record(
        StaffException,
        key={
            "school": demo.school,
            "requested_by": teacher,
            "kind": StaffException.Kind.RELATIONSHIP,
            "details": "My niece is in Elm class; I see the family socially.",
        },
        seeded=_decided(Decision.PENDING),
    )
    demo_record(
        CurriculumUseRequest,
        key={
            "school": demo.school,
            "requested_by": teacher,
            "activity": "Bird survey with the RSPB app",
        },
        seeded={
            "class_name": "Oak",
            "risks": "Photographs of other pupils; location sharing.",
            "controls": "Camera used for birds only, checked by staff; location off.",
            **_decided(Decision.PENDING),
        },
        new={"date": SchoolCalendar.today() + timedelta(days=14)},
    )


#: The demo's learners' exemptions: (class, index in it, reason, details, approval note, in
#: force since (days ago), review by (days from today; None: ten days before last term ended,
#: so it lapsed then, unrenewed)). The young carer's comes up for review within the ten school
#: days of the exemption-reviews reminder.
EXEMPTIONS = [
    ("Hazel", 2, LearnerExemption.Reason.MEDICAL,
     "Type 1 diabetes: the glucose monitor app runs on the phone.",
     "Care plan agreed with the school nurse.", 200, 90),
    ("Willow", 7, LearnerExemption.Reason.YOUNG_CARER,
     "Young carer for a parent with MS: keeps the phone on silent in the bag to take a call "
     "from home, in the office.",
     "Agreed with the family and the young carers' service.", 150, 6),
    ("Oak", 12, LearnerExemption.Reason.OTHER,
     "SEND (autism): a visual timetable app on the phone, used with the teaching assistant.",
     "Part of the EHC plan; reviewed with the SENCo.", 250, 120),
    ("Hazel", 9, LearnerExemption.Reason.MEDICAL,
     "Asthma: a reminder app for the preventer inhaler, while the new plan settled.",
     "Agreed for the summer with the school nurse.", 300, None),
]  # fmt: skip


def _exemptions(demo, first):
    today = SchoolCalendar.today()
    last = SchoolCalendar(demo.school).last_completed_term(today)
    for class_name, index, reason, details, note, since, review in EXEMPTIONS:
        learners = Learner.objects.filter(school=demo.school, class_name=class_name)
        learner = first if details.startswith("Type 1") else learners.order_by("pk")[index]
        if review is None:
            review_on = (last.ends_on if last else today) - timedelta(days=10)
        else:
            review_on = today + timedelta(days=review)
        decision = _decided(Decision.APPROVED, demo.users["head"], note)
        del decision["starts_on"]
        demo_record(
            LearnerExemption,
            key={"school": demo.school, "learner": learner, "details": details},
            seeded={"requested_by": demo.users["office"], "reason": reason, **decision},
            new={
                "starts_on": today - timedelta(days=since),
                "review_on": review_on,
                "decided_at": timezone.now() - timedelta(days=since),
            },
        )


def _decided(status, by=None, reason=""):
    """A request's decision as the demo shows it: pending, or decided by `by`."""
    fields = {"status": status, "decided_by": by, "decision_reason": reason}
    fields.update({"starts_on": None, "ends_on": None})
    if by is None:
        fields["decided_at"] = None
    return fields


def seed(demo):
    _handovers(demo, SchoolCalendar.today())
    _confiscations(demo)
    _searches(demo)
    _exceptions(demo)
