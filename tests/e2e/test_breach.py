"""A phone-policy breach (issue 18): a teacher records it, Roper shows the ladder's step
for the learner's breach number this term before anything is recorded, records it, and the
parent on file is sent a notice (the email the parent-notices job sends)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import expect

from conduct import services
from conduct.models import Breach, ParentNotice
from people.models import Learner
from roper.reminders import run_reminders
from tests.e2e.conftest import check_accessibility

pytestmark = pytest.mark.usefixtures("demo")  # the demo, as seed_demo makes it

LONDON = ZoneInfo("Europe/London")
LESSON = datetime(2026, 11, 25, 11, 20, tzinfo=LONDON)  # a Wednesday in the autumn term
SECOND_STEP = "Phone kept at the office until a parent or carer collects it"


def _learner_with_parents_on_email():
    """A learner with a unique name, no breach yet, and parents or carers on file, every one
    with an email address (the demo gives each learner two)."""
    for learner in Learner.objects.filter(
        school__name="Anthony Roper Primary School",
        breaches__isnull=True,
        confiscations__isnull=True,
        active=True,
    ).order_by("pk"):
        links = list(learner.guardianships.select_related("guardian"))
        unique = (
            Learner.objects.filter(
                school=learner.school,
                legal_first_name=learner.legal_first_name,
                legal_last_name=learner.legal_last_name,
            ).count()
            == 1
        )
        if unique and links and all(link.guardian.email and link.notices for link in links):
            return learner, sorted((link.guardian for link in links), key=lambda g: g.pk)
    raise AssertionError("the demo has no learner with parents on email")


def test_a_breach_gets_the_ladders_step_and_the_parent_is_told(page, live_server, sign_in):
    with time_machine.travel(LESSON, tick=True):
        learner, parents = _learner_with_parents_on_email()
        # Earlier this term: a first breach (its step does not involve parents).
        first = services.breach_record(
            learner=learner,
            by=Breach._meta.get_field("recorded_by").related_model.objects.get(username="teacher"),
            kind="seen",
            at=datetime(2026, 11, 10, 10, 40, tzinfo=LONDON),
            period="break",
            place="playground",
        )
        assert not first.involves_parents and not ParentNotice.objects.filter(learner=learner)
        mail.outbox.clear()

        # -- The teacher records the breach ------------------------------------------------
        sign_in("teacher")
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Record a breach"
        ).click()
        page.wait_for_url("**/conduct/breaches/new/")
        page.get_by_label("Learner").select_option(label=learner.label)
        page.get_by_label("Phone used").check()
        page.get_by_label("When").fill("2026-11-25T11:15")
        page.get_by_label("Part of the day").select_option(label="Lesson")
        page.get_by_label("Lesson", exact=True).fill("Year 5 maths")
        page.get_by_label("Place").select_option(label="Classroom")
        page.get_by_label("What happened next").fill("Asked to put it away; did so.")
        with page.expect_navigation():
            page.get_by_role("button", name="Show the next step").click()

        # -- Roper shows the ladder's step before anything is recorded -------------------------
        expect(page.get_by_role("heading", name=f"Next step: {SECOND_STEP}")).to_be_visible()
        expect(page.locator("main")).to_contain_text("breach number 2 this term")
        expect(page.get_by_label("Step applied")).to_have_value("2")
        check_accessibility(page)
        assert Breach.objects.filter(learner=learner).count() == 1
        with page.expect_navigation():
            page.get_by_role("button", name="Record the breach").click()

        # -- Recorded, with the step; the parent's notice is on its way -----------------------
        main = page.locator("main")
        expect(main).to_contain_text(f"Breach recorded. Next step: {SECOND_STEP}.")
        expect(page.locator("#step-applied")).to_have_text(f"2. {SECOND_STEP}")
        for parent in parents:
            expect(page.locator("ul.parent-notices")).to_contain_text(f"Email to {parent.name} — ")
        check_accessibility(page)
        breach = Breach.objects.get(learner=learner, number_in_term=2)
        assert (breach.ladder_position, breach.applied_position) == (2, 2)
        notices = ParentNotice.objects.filter(breach=breach).order_by("guardian_id")
        assert [(n.guardian, n.channel) for n in notices] == [
            (parent, ParentNotice.Channel.EMAIL) for parent in parents
        ]

        # -- Sent after commit: by a worker with a broker, else by the parent-notices job -------
        run_reminders(only=["parent-notices"])
        assert all(n.emailed_at for n in ParentNotice.objects.filter(breach=breach))
        # (The job also sends what the demo's own confiscations left waiting: other parents.)
        ours = [m for m in mail.outbox if m.to[0] in {p.email for p in parents}]
        assert sorted(m.to[0] for m in ours) == sorted(p.email for p in parents)
        for email in ours:
            assert SECOND_STEP in email.body and "2nd time this term" in email.body
            assert "Patel" not in email.body  # the teacher is not named
        page.reload()
        for parent in parents:
            expect(page.locator("ul.parent-notices")).to_contain_text(
                f"Email to {parent.name} — sent"
            )
