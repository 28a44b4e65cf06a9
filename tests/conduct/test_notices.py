"""Notices to parents and carers on file: a breach reaching a step that involves them, a
phone confiscated, a phone ready to collect. Each is recorded (who, when, how); a parent
who must not be contacted is sent nothing and the staff see why; no email, a letter."""

import pytest
from django.core import mail
from django.utils import timezone

from conduct import services
from conduct.models import ParentNotice
from conduct.notices import NOT_TO_BE_CONTACTED, parent_notices_deliver
from devices import services as devices_services
from devices.models import CustodyState
from roper.reminders import run_reminders
from tests.factories import LearnerFactory, collector, confiscation

Kind, Channel = ParentNotice.Kind, ParentNotice.Channel


def second_breach(learner, by):
    """A first breach (no parents) and a second (a parent collects: parents told)."""
    for _ in range(2):
        last = services.breach_record(
            learner=learner,
            by=by,
            kind="used",
            at=timezone.now(),
            period="lunch",
            place="dining",
        )
    return last


def test_a_breach_reaching_a_parents_step_emails_the_parents_on_file(world, teacher):
    mum = collector(world.learner, guardian__name="Sara Khan", guardian__email="sara@example.org")
    other = LearnerFactory(school=world.school, legal_first_name="Zoe", legal_last_name="Pike")
    breach = second_breach(world.learner, teacher)
    assert ParentNotice.objects.filter(kind=Kind.BREACH).count() == 1  # not for the first
    notice = ParentNotice.objects.get(kind=Kind.BREACH)
    assert (notice.guardian, notice.channel, notice.email) == (mum, Channel.EMAIL, mum.email)
    assert (notice.breach, notice.by, notice.emailed_at) == (breach, teacher, None)

    assert run_reminders(only=["parent-notices"])["parent-notices"]["sent"] == 1  # the job sends it
    assert parent_notices_deliver() == 0  # and never twice
    notice.refresh_from_db()
    assert notice.emailed_at is not None
    [email] = mail.outbox
    assert email.to == ["sara@example.org"]
    assert email.subject == f"Amelia's phone: a note from {world.school.name}"
    assert "This is the 2nd time this term" in email.body
    assert breach.consequence in email.body
    # What the parent needs, nothing more: no staff name, no other child, no surname.
    for secret in (teacher.get_full_name(), teacher.username, other.first_name, "Amelia Khan"):
        assert secret not in email.body
    html = email.alternatives[0][0]
    assert breach.consequence in html and teacher.get_full_name() not in html


def test_no_email_address_means_a_letter_to_print(world, teacher, as_user):
    collector(world.learner, guardian__name="Sara Khan", guardian__email="")
    breach = second_breach(world.learner, teacher)
    notice = ParentNotice.objects.get(kind=Kind.BREACH)
    assert notice.channel == Channel.LETTER
    page = as_user(teacher).get(f"/conduct/breaches/{breach.pk}/")
    assert "Print the letter" in page.text
    page = as_user(teacher).get(f"/conduct/breaches/{breach.pk}/letter/").text
    letter = page[page.index('<article class="letter">') : page.index("</article>")]
    assert "Dear Sara Khan" in letter
    assert breach.consequence in letter
    assert teacher.get_full_name() not in letter


def test_a_parent_who_must_not_be_contacted_gets_nothing_and_staff_see_why(world, teacher, as_user):
    collector(world.learner, notices=False)
    breach = second_breach(world.learner, teacher)
    notice = ParentNotice.objects.get(kind=Kind.BREACH)
    assert (notice.channel, notice.guardian, notice.withheld_reason) == (
        Channel.NONE,
        None,
        NOT_TO_BE_CONTACTED,
    )
    parent_notices_deliver()
    assert mail.outbox == []
    page = as_user(teacher).get(f"/conduct/breaches/{breach.pk}/")
    assert "No notice sent." in page.text and "ask the DSL" in page.text


def test_confiscated_then_ready_to_collect_each_tell_the_parent(world, teacher, office):
    collector(world.learner, guardian__email="sara@example.org")
    c = confiscation(world.learner, teacher)
    devices_services.confiscation_move(
        confiscation=c, to_state=CustodyState.SECURED, by=office, location="Office safe"
    )
    kinds = list(
        ParentNotice.objects.order_by("created_at", "pk").values_list("kind", "channel", "by")
    )
    assert kinds == [
        (Kind.CONFISCATED, Channel.EMAIL, teacher.pk),
        (Kind.READY, Channel.EMAIL, office.pk),
    ]
    assert parent_notices_deliver() == 2
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == [
        f"Amelia's phone has been confiscated — {world.school.name}",
        f"Amelia's phone is ready to collect — {world.school.name}",
    ]


def test_a_phone_confiscated_as_evidence_sends_no_notice(world, teacher):
    collector(world.learner, guardian__email="sara@example.org")
    devices_services.confiscation_record(
        learner=world.learner,
        device="Phone",
        reason="Images",
        by=teacher,
        held_at="Safe",
        reason_kind="illegal",
    )
    notice = ParentNotice.objects.get()
    assert notice.channel == Channel.NONE and "DSL decides" in notice.withheld_reason


@pytest.mark.parametrize("error", [OSError("mail server down")])
def test_a_failed_email_is_kept_and_sent_by_the_next_run(world, teacher, monkeypatch, error):
    collector(world.learner, guardian__email="sara@example.org")
    confiscation(world.learner, teacher)

    def fail(self, *args, **kwargs):
        raise error

    with monkeypatch.context() as m:
        m.setattr("django.core.mail.EmailMultiAlternatives.send", fail)
        assert parent_notices_deliver() == 0
    notice = ParentNotice.objects.get()
    assert (notice.email_attempts, notice.email_error) == (1, "mail server down")
    assert parent_notices_deliver() == 1


def test_retention_destroying_a_confiscation_keeps_its_breach_unlinked_and_its_notices_go(
    world, teacher
):
    from conduct.models import Breach
    from devices.models import Confiscation
    from devices.retention import destroy_confiscations

    collector(world.learner, guardian__email="sara@example.org")
    c = confiscation(world.learner, teacher)
    second_breach(world.learner, teacher)  # two breaches not linked
    services.breach_record(
        learner=world.learner, by=teacher, kind="used", at=timezone.now(), period="lesson",
        place="classroom", confiscation=c,
    )  # fmt: skip
    destroy_confiscations(Confiscation.objects.filter(pk=c.pk))
    # The breaches stay (each still counts on the ladder); nothing names the device any more.
    assert sorted(Breach.objects.values_list("number_in_term", "confiscation")) == [
        (1, None),
        (2, None),
        (3, None),
    ]
    assert not Breach.history.filter(confiscation_id=c.pk).exists()
    assert not ParentNotice.objects.filter(confiscation_id=c.pk).exists()


def test_a_phone_taken_at_a_parents_step_is_told_in_one_notice(world, teacher):
    """A second breach (a parent collects) with the phone confiscated in the same step: the
    parents get one email, which says both; at the first step (no parents), the confiscation's
    own notice still goes."""
    collector(world.learner, guardian__name="Sara Khan", guardian__email="sara@example.org")
    taken = {"device": "Blue Samsung", "held_at": "Office"}
    first = services.breach_record(
        learner=world.learner, by=teacher, kind="used", at=timezone.now(), period="lunch",
        place="dining", confiscate=taken,
    )  # fmt: skip
    assert list(ParentNotice.objects.values_list("kind", flat=True)) == [Kind.CONFISCATED]
    second = services.breach_record(
        learner=world.learner, by=teacher, kind="used", at=timezone.now(), period="lunch",
        place="dining", confiscate=taken,
    )  # fmt: skip
    assert first.confiscation and second.confiscation
    notices = ParentNotice.objects.filter(confiscation=second.confiscation)
    assert [(n.kind, n.breach) for n in notices] == [(Kind.BREACH, second)]
    parent_notices_deliver()
    # The first breach's confiscation, and the second's step (which says the phone was taken).
    assert len(mail.outbox) == 2
    [step] = [m.body for m in mail.outbox if "This is the 2nd time this term" in m.body]
    assert "phone was taken and is kept safely at the school" in step


def test_retention_destroying_a_phone_keeps_the_breach_notice_that_told_of_it(world, teacher):
    from devices.models import Confiscation
    from devices.retention import destroy_confiscations

    collector(world.learner, guardian__email="sara@example.org")
    taken = {"device": "Blue Samsung", "held_at": "Office"}
    for _ in range(2):  # the second reaches a parents' step: one notice tells of both
        breach = services.breach_record(
            learner=world.learner, by=teacher, kind="used", at=timezone.now(), period="lunch",
            place="dining", confiscate=taken,
        )  # fmt: skip
    device = breach.confiscation
    destroy_confiscations(Confiscation.objects.filter(pk=device.pk))
    notice = ParentNotice.objects.get(breach=breach)
    assert notice.confiscation is None  # kept, no longer naming the destroyed device
