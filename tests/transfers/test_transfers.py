"""Sending a learner's file (issue 19): a package with a receipt code to any school, or a
transfer within the trust that the receiving DSL accepts; both due in five school days and
escalated when not received."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from devices.models import Confiscation
from incidents.models import Concern
from people.models import Learner
from roper.models import AccessLog, Notification
from roper.reminders import run_reminders
from tests.factories import TermFactory
from tests.reminders.helpers import at, told
from transfers.models import Transfer
from transfers.package import package_open
from transfers.services import transfer_accept, transfer_send_trust

pytestmark = pytest.mark.django_db


def _send_package(client, world, passphrase="river-oak-comet-fern-tulip"):
    client.force_login(world.users["dsl"])
    url = reverse("transfers:start", args=[world.learner.pk])
    page = client.get(url).content.decode()
    suggested = re.search(r'name="passphrase" value="([a-z-]+)"', page)[1]
    assert len(suggested.split("-")) == 8
    response = client.post(
        url,
        {
            "destination": "package",
            "to_name": "Hill Primary",
            "to_urn": "700001",
            "in_year": "on",
            "passphrase": passphrase,
        },
    )
    assert response.status_code == 302
    return Transfer.objects.get(learner=world.learner)


def test_the_dsl_sends_a_package_that_opens_with_the_passphrase(world, held, client):
    transfer = _send_package(client, world)
    page = client.get(reverse("transfers:detail", args=[transfer.pk])).content.decode()
    assert transfer.receipt_code in page
    assert "river-oak-comet" not in page  # the passphrase is never shown again
    response = client.get(reverse("transfers:package", args=[transfer.pk]))
    blob = b"".join(response.streaming_content)
    data, pdf = package_open(blob, passphrase="river-oak-comet-fern-tulip")
    assert data["learner"]["upn"] == world.learner.upn
    assert data["to_school"] == {"name": "Hill Primary", "urn": "700001"}
    assert pdf.startswith(b"%PDF")
    whats = list(
        AccessLog.objects.filter(object_id=world.learner.pk).values_list("what", flat=True)
    )
    assert any("packaged for Hill Primary" in w for w in whats)
    assert any("transfer package" in w and "downloaded" in w for w in whats)
    assert "river-oak-comet" not in str(Transfer.objects.filter(pk=transfer.pk).values().get())


def test_the_receiving_school_confirms_receipt_with_the_code_once(world, held, client):
    transfer = _send_package(client, world)
    client.logout()
    url = reverse("transfer_receipt:confirm")
    wrong = client.post(url, {"code": "x" * 32, "name": "Ann Hill, DSL"})
    assert "not a receipt code" in wrong.content.decode()
    response = client.post(url, {"code": transfer.receipt_code, "name": "Ann Hill, DSL"})
    assert "receipt is confirmed" in response.content.decode()
    transfer.refresh_from_db()
    assert transfer.status == Transfer.Status.RECEIVED
    assert transfer.received_by_name == "Ann Hill, DSL"
    assert "confirmed receipt" in told(world)["dsl"][-1]
    assert not transfer.package and transfer.package_sha256  # no copy kept, its hash is
    client.force_login(world.users["dsl"])
    assert client.get(reverse("transfers:package", args=[transfer.pk])).status_code == 404
    client.logout()
    again = client.post(url, {"code": transfer.receipt_code, "name": "Someone else"})
    assert "not a receipt code" in again.content.decode()
    transfer.refresh_from_db()
    assert transfer.received_by_name == "Ann Hill, DSL"


def test_the_receipt_page_limits_tries_from_one_address(client, world):
    url = reverse("transfer_receipt:confirm")
    for _ in range(20):
        client.post(url, {"code": "guess", "name": "x"})
    assert client.post(url, {"code": "guess", "name": "x"}).status_code == 429


def test_a_transfer_not_received_by_its_deadline_escalates(world, held):
    TermFactory(school=world.school, starts_on=date(2026, 9, 2), ends_on=date(2026, 12, 18))
    with time_machine.travel(at(date(2026, 11, 2), 10)):  # a Monday
        transfer = transfer_send_trust(
            learner=world.learner,
            by=world.users["dsl"],
            to_school=world.other_school,
            in_year=True,
        )
    assert transfer.deadline == at(date(2026, 11, 9), 10)  # five school days
    assert run_reminders(
        now=at(
            date(
                2026,
                11,
                9,
            ),
            9,
        ),
        only=["transfers-overdue"],
    ) == {"transfers-overdue": {"sent": 0, "seconds": pytest.approx(0, abs=5)}}
    sent = run_reminders(now=at(date(2026, 11, 9), 11), only=["transfers-overdue"])
    assert sent["transfers-overdue"]["sent"] == 3  # dsl, deputy; the outsider (school B)
    assert "head" not in told(world, title__contains="not yet received")
    run_reminders(now=at(date(2026, 11, 10), 11), only=["transfers-overdue"])
    assert told(world, title__startswith="Escalated")["head"]
    again = run_reminders(now=at(date(2026, 11, 10), 12), only=["transfers-overdue"])
    assert again["transfers-overdue"]["sent"] == 0


def test_a_received_transfer_is_not_chased(world, held):
    transfer = transfer_send_trust(
        learner=world.learner, by=world.users["dsl"], to_school=world.other_school, in_year=True
    )
    transfer_accept(transfer_id=transfer.pk, by=world.users["outsider"])
    sent = run_reminders(now=transfer.deadline + timedelta(days=9), only=["transfers-overdue"])
    assert sent["transfers-overdue"]["sent"] == 0


def test_within_the_trust_the_receiving_dsl_accepts_and_sees_the_history(world, held, client):
    concern, phone, about_head = held
    client.force_login(world.users["dsl"])
    response = client.post(
        reverse("transfers:start", args=[world.learner.pk]),
        {"destination": str(world.other_school.pk), "in_year": "on"},
    )
    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert told(world, school=world.other_school)["outsider"] == [
        f"{world.school.name} sent you a child-protection file to accept"
    ]
    client.force_login(world.users["outsider"])
    page = client.get(reverse("transfers:detail", args=[transfer.pk])).content.decode()
    assert "Accept the file" in page
    client.post(reverse("transfers:accept", args=[transfer.pk]))
    copy = Learner.objects.get(school=world.other_school, upn=world.learner.upn)
    history = client.get(reverse("reports:chronology", args=[copy.pk])).content.decode()
    assert "Blue Samsung" in history
    moved = Concern.objects.get(school=world.other_school)
    assert moved.what_happened == concern.what_happened
    assert Confiscation.objects.get(school=world.other_school).events.count() == (
        phone.events.count()
    )
    # The sending school keeps its records (retention decides), the child marked as left.
    world.learner.refresh_from_db()
    assert not world.learner.active
    assert Concern.objects.filter(pk=concern.pk).exists()
    # Both schools' logs say who sent and who received.
    sent_log = AccessLog.objects.get(school=world.school, what__contains="accepted by")
    assert "Dsl Persona" in sent_log.what and "Outsider Persona" in sent_log.what
    got_log = AccessLog.objects.get(school=world.other_school, what__contains="received from")
    assert "Dsl Persona" in got_log.what
    assert told(world)["dsl"][-1] == f"{world.other_school.name} accepted a child-protection file"


def test_a_second_acceptance_is_refused(world, held, client):
    transfer = transfer_send_trust(
        learner=world.learner, by=world.users["dsl"], to_school=world.other_school, in_year=True
    )
    client.force_login(world.users["outsider"])
    client.post(reverse("transfers:accept", args=[transfer.pk]))
    response = client.post(reverse("transfers:accept", args=[transfer.pk]), follow=True)
    assert "accepted already, by Outsider Persona" in response.content.decode()
    assert Learner.objects.filter(school=world.other_school).count() == 2  # Zed and Amelia
    assert Notification.objects.filter(title__contains="accepted a").count() == 1


def test_the_list_of_transfers_takes_the_same_queries_however_many(
    world, client, django_assert_max_num_queries
):
    client.force_login(world.users["dsl"])
    url = reverse("transfers:list")
    client.get(url)  # the session and the school settled

    def send():
        transfer_send_trust(
            learner=world.learner, by=world.users["dsl"], to_school=world.other_school,
            in_year=True,
        )  # fmt: skip

    send()
    with django_assert_max_num_queries(20) as one:
        assert client.get(url).status_code == 200
    for _ in range(5):
        send()
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count("Amelia Khan") == 6
