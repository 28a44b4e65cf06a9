from django.urls import reverse
from django.utils import timezone

from conduct import services
from conduct.models import ParentNotice
from people.models import Guardian
from tests.access import SAFEGUARDING, STAFF, Case, only
from tests.factories import collector, confiscation

RECORD = ("teacher", "leadership", "osl", "dsl", "deputy_dsl", "head")
SEARCH = ("leadership", *SAFEGUARDING)
LADDER = ("leadership", "head")


def breach(w, u, by="teacher"):
    """A first breach, by the teacher; its step is changed to the second (parents told), so
    it has a letter when the parent has no email."""
    collector(w.learner, guardian__email="")
    return services.breach_record(
        learner=w.learner,
        by=w.users[by],
        kind="used",
        at=timezone.now(),
        period="lesson",
        place="classroom",
        applied_position=2,
        override_reason="Filmed another child",
    )


def confiscation_letter(w, u):
    """The letter telling the parent (no email on file) that the phone was confiscated."""
    collector(w.learner, guardian__email="")
    # No parent on file with an email (a journey opening every page has added some).
    Guardian.objects.filter(learners=w.learner).update(email="")
    device = confiscation(w.learner, w.users["teacher"])
    notice = ParentNotice.objects.get(confiscation=device, channel="letter")
    return reverse("conduct:notice_letter", args=[notice.pk])


def _breach_url(name):
    return lambda w, u: reverse(name, args=[breach(w, u).pk])


ACCESS = {
    "conduct:breaches": Case(lambda w, u: reverse("conduct:breaches"), only(*SEARCH, outsider=200)),
    "conduct:breach_new": Case(
        lambda w, u: reverse("conduct:breach_new"), only(*RECORD, outsider=200)
    ),
    # The teacher who recorded it, and those who search breaches; no one else.
    "conduct:breach": Case(_breach_url("conduct:breach"), only("teacher", *SEARCH, outsider=404)),
    "conduct:breach_letter": Case(
        _breach_url("conduct:breach_letter"), only("teacher", *SEARCH, outsider=404)
    ),
    # Whoever may see the confiscation (the office prints the letters).
    "conduct:notice_letter": Case(confiscation_letter, only(*STAFF, outsider=404)),
    "conduct:ladder": Case(lambda w, u: reverse("conduct:ladder"), only(*LADDER, outsider=200)),
}
