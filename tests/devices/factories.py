from devices import services
from devices.models import CustodyState, LearnerExemption
from people.calendar import SchoolCalendar
from tests.factories import GuardianshipFactory, LearnerFactory, UserFactory


def confiscation(learner=None, by=None, **kwargs):
    learner = learner or LearnerFactory()
    return services.confiscation_record(
        learner=learner,
        device=kwargs.pop("device", "Black iPhone"),
        reason=kwargs.pop("reason", "Filming in the playground"),
        by=by or UserFactory(),
        held_at=kwargs.pop("held_at", "Classroom drawer"),
    )


def secured(learner=None, by=None):
    c = confiscation(learner, by)
    services.confiscation_move(
        confiscation=c, to_state=CustodyState.SECURED, by=c.confiscated_by, location="Office safe"
    )
    c.refresh_from_db()
    return c


def collector(learner, may_collect=True, **kwargs):
    return GuardianshipFactory(learner=learner, may_collect=may_collect, **kwargs).guardian


def exemption(learner, by, decided_by, **kwargs):
    from datetime import timedelta

    return LearnerExemption.objects.create(
        school=learner.school,
        learner=learner,
        requested_by=by,
        reason=LearnerExemption.Reason.MEDICAL,
        details="Glucose monitor app",
        review_on=kwargs.pop("review_on", SchoolCalendar.today() + timedelta(days=30)),
        status="approved",
        decided_by=decided_by,
        **kwargs,
    )
