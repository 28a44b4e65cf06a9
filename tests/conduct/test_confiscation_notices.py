"""A confiscation's page shows the notices sent to the parents about the phone (when, to
whom, how, and whether the email went), and offers the letter to print, the same letter page
as a breach's. Whoever may see the confiscation sees them; a device concealed from the user
(evidence in a concern about them) has no letter for them either."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conduct import services
from conduct.models import ParentNotice
from devices import services as devices_services
from devices.models import Confiscation, CustodyState
from tests.factories import LearnerFactory, collector, confiscation, head_allegation

Kind, Channel = ParentNotice.Kind, ParentNotice.Channel


def _page(client, device):
    return client.get(reverse("devices:confiscation", args=[device.pk])).content.decode()


def test_the_office_sees_the_emails_sent_about_a_confiscation_and_whether_they_went(
    world, teacher, office, as_user
):
    mum = collector(world.learner, guardian__name="Sara Khan", guardian__email="sara@ex.org")
    dad = collector(world.learner, guardian__name="Tom Khan", guardian__email="tom@ex.org")
    device = confiscation(world.learner, teacher)
    devices_services.confiscation_move(
        confiscation=device, to_state=CustodyState.SECURED, by=office, location="Office safe"
    )
    sent, failed = ParentNotice.objects.filter(kind=Kind.CONFISCATED).order_by("guardian_id")
    ParentNotice.objects.filter(pk=sent.pk).update(emailed_at=timezone.now())
    ParentNotice.objects.filter(pk=failed.pk).update(email_attempts=5, email_error="550 No such")

    html = _page(as_user(office), device)
    assert "Notices to parents and carers" in html
    assert f"email to {mum.name} — delivered to the mail server" in html
    assert f"email to {dad.name} — not delivered (5 attempts failed: 550 No such)" in html
    assert html.count("Phone ready to collect</strong>") == 2  # secured: one to each parent
    assert html.count("being sent") == 2
    # A copy to print, for each email.
    assert reverse("conduct:notice_letter", args=[sent.pk]) in html


def test_no_email_address_offers_the_letter_to_print_from_the_confiscation(
    world, teacher, office, as_user
):
    collector(world.learner, guardian__name="Sara Khan", guardian__email="")
    device = confiscation(world.learner, teacher)
    notice = ParentNotice.objects.get(confiscation=device)
    assert notice.channel == Channel.LETTER
    client = as_user(office)
    html = _page(client, device)
    assert "letter to Sara Khan (no email address on file)" in html
    url = reverse("conduct:notice_letter", args=[notice.pk])
    assert f'<a href="{url}">Print the letter</a>' in html

    letter = client.get(url)
    assert letter.status_code == 200
    assert [t.name for t in letter.templates][:2] == [
        "conduct/notice_letter.html",
        "base.html",
    ]
    text = letter.content.decode()
    assert "Dear Sara Khan," in text
    assert f"{world.learner.first_name}'s mobile phone was confiscated in school on" in text
    assert teacher.get_full_name() not in text  # a notice never names the staff member
    assert reverse("devices:confiscation", args=[device.pk]) in text  # back to it


def test_the_breach_that_took_the_phone_tells_of_it_in_its_notice_shown_on_the_phone(
    world, teacher, office, as_user
):
    collector(world.learner, guardian__name="Sara Khan", guardian__email="")
    services.breach_record(
        learner=world.learner,
        by=teacher,
        kind="used",
        at=timezone.now(),
        period="lesson",
        place="classroom",
        applied_position=2,
        override_reason="Filmed another child",
        confiscate={"device": "Red phone", "held_at": "Drawer"},
    )
    device = Confiscation.objects.get(learner=world.learner)
    [notice] = ParentNotice.objects.filter(confiscation=device)  # one notice, not two
    assert notice.kind == Kind.BREACH
    html = _page(as_user(office), device)
    assert "A breach reached a step that involves parents</strong>" in html
    letter = as_user(office).get(reverse("conduct:notice_letter", args=[notice.pk]))
    text = letter.content.decode()
    assert "the next step is: <strong>Phone kept at the office until a parent" in text
    assert "phone was taken and is kept safely at the school" in text


def test_a_phone_with_no_notice_says_so_and_a_withheld_one_says_why(
    world, teacher, office, as_user
):
    device = confiscation(world.learner, teacher)  # no parent on file
    html = _page(as_user(office), device)
    assert "no notice sent. No parent or carer is on file for this learner" in html


def test_a_breach_notice_with_no_phone_has_no_letter_here(world, teacher, office, as_user):
    collector(world.learner, guardian__email="")
    for _ in range(2):
        breach = services.breach_record(
            learner=world.learner,
            by=teacher,
            kind="used",
            at=timezone.now(),
            period="lesson",
            place="classroom",
        )
    notice = ParentNotice.objects.get(breach=breach)
    assert notice.confiscation_id is None
    url = reverse("conduct:notice_letter", args=[notice.pk])
    assert as_user(office).get(url).status_code == 404  # the breach's own letter page has it


def test_a_device_concealed_from_the_head_has_no_letter_for_them(
    world, teacher, head, dsl, as_user
):
    collector(world.learner, guardian__email="")
    device = confiscation(world.learner, teacher)
    Confiscation.objects.filter(pk=device.pk).update(concern=head_allegation(world))
    notice = ParentNotice.objects.get(confiscation=device)
    url = reverse("conduct:notice_letter", args=[notice.pk])
    assert as_user(head).get(url).status_code == 404
    assert as_user(dsl).get(url).status_code == 200


def test_the_confiscation_page_asks_the_same_queries_however_many_notices(
    world, teacher, office, as_user
):
    """One query for the notices, whatever their number (no query per notice or parent)."""

    def page_queries(learner, parents):
        for n in range(parents):
            collector(learner, guardian__email=f"p{learner.pk}-{n}@ex.org")
        device = confiscation(learner, teacher)
        devices_services.confiscation_move(
            confiscation=device, to_state=CustodyState.SECURED, by=office, location="Office safe"
        )
        _page(client, device)  # the session's first reads
        with CaptureQueriesContext(connection) as queries:
            html = _page(client, device)
        # Confiscated, then ready: to each parent, or one "not sent" with no one on file.
        assert html.count("<li><strong>Phone") == 2 * max(parents, 1)
        return len(queries)

    client = as_user(office)
    few = page_queries(world.learner, 0)
    many = page_queries(LearnerFactory(school=world.school), 3)
    assert many == few
