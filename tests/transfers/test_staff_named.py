"""A concern that names a member of staff as its subject is concealed from them (incidents/
visibility.py). The receiving school has none of the sending school's accounts, so it could
not conceal it: such a concern, and the device and search hanging from it, stay with the
sending school, whichever way the file travels (a transfer within the trust, or a package)."""

import pytest
from django.urls import reverse

from devices import services as devices_services
from incidents.visibility import concerns_visible_to
from people.models import Learner
from tests.devices.searches import search
from tests.factories import MembershipFactory, report
from transfers.importing import package_import
from transfers.package import package_data, package_seal
from transfers.services import transfer_accept, transfer_send_trust

pytestmark = pytest.mark.django_db

ALLEGATION = "Mr Tee sent Amelia abusive messages at night."
DEVICE = "Green iPhone kept as evidence"
GROUNDS = "Looked for the messages Mr Tee sent"
PASSPHRASE = "amber-acorn-river-oak"


@pytest.fixture
def tee(world, held):
    """Tom Tee: staff at school A, deputy DSL at school B (one trust). At A a concern in a
    learner category names him as the alleged person and Amelia as the child, with her
    phone confiscated for it and a search: all of it hidden from him at A."""
    t = MembershipFactory(
        school=world.school,
        roles=["staff"],
        user__username="tee",
        user__first_name="Tom",
        user__last_name="Tee",
    ).user
    MembershipFactory(school=world.other_school, roles=["deputy_dsl", "staff"], user=t)
    concern = report(
        world.school,
        world.users["teacher"],
        "abusive_messages",
        people=[(world.learner, "child"), (t, "alleged")],
        what_happened=ALLEGATION,
    )
    phone = devices_services.confiscation_record(
        learner=world.learner,
        device=DEVICE,
        reason="Evidence of the messages",
        by=world.users["teacher"],
        held_at="Office safe",
        concern=concern,
    )
    search(
        world.learner,
        world.users["head"],
        witness=world.users["dsl"],
        grounds=GROUNDS,
        anything_found=True,
        found="The phone",
        confiscation=phone,
    )
    assert not concerns_visible_to(t).filter(pk=concern.pk).exists()  # hidden at A
    return t


def _what_tee_sees_at_b(client, tee, world) -> str:
    copy = Learner.objects.get(school=world.other_school, upn=world.learner.upn)
    client.force_login(tee)
    client.post(reverse("switch_school"), {"school": world.other_school.pk})
    pages = [
        client.get(reverse("incidents:dashboard")),
        client.get(reverse("reports:chronology", args=[copy.pk])),
        client.get(reverse("devices:confiscations")),
    ]
    assert all(page.status_code == 200 for page in pages)
    return "".join(page.content.decode() for page in pages)


def test_a_transfer_within_the_trust_does_not_show_staff_an_allegation_about_them(
    world, held, tee, client
):
    transfer = transfer_send_trust(
        learner=world.learner, by=world.users["dsl"], to_school=world.other_school, in_year=True
    )
    transfer_accept(transfer_id=transfer.pk, by=world.users["outsider"])
    seen = _what_tee_sees_at_b(client, tee, world)
    assert "Amelia was sent messages at night" in seen  # the child's own concern went
    assert "Blue Samsung" in seen  # and its device
    assert ALLEGATION not in seen
    assert DEVICE not in seen
    assert GROUNDS not in seen


def test_a_package_does_not_show_staff_an_allegation_about_them(world, held, tee, client):
    data = package_data(learner=world.learner, user=world.users["dsl"], to_name="Other")
    blob = package_seal(data, passphrase=PASSPHRASE)
    package_import(
        blob=blob, passphrase=PASSPHRASE, school=world.other_school, by=world.users["outsider"]
    )
    seen = _what_tee_sees_at_b(client, tee, world)
    assert "Amelia was sent messages at night" in seen
    assert ALLEGATION not in seen
    assert DEVICE not in seen
    assert GROUNDS not in seen


def test_the_package_names_no_one_it_leaves_out(world, held, tee):
    """What the receiving DSL reads (the JSON and the PDF made from it) carries neither the
    allegation nor the staff member's name."""
    data = package_data(learner=world.learner, user=world.users["dsl"], to_name="Other")
    text = str(data)
    assert ALLEGATION not in text and DEVICE not in text and GROUNDS not in text
    assert "Tom Tee" not in text


def test_a_member_of_staff_named_only_as_a_witness_does_not_keep_a_concern_back(world, held):
    witness = MembershipFactory(
        school=world.school, roles=["staff"], user__first_name="Wendy", user__last_name="Wren"
    ).user
    concern = report(
        world.school,
        world.users["teacher"],
        "abusive_messages",
        people=[(world.learner, "child"), (witness, "witness")],
        what_happened="An older pupil sent Amelia abusive messages; Mrs Wren saw them.",
    )
    data = package_data(learner=world.learner, user=world.users["dsl"], to_name="Other")
    (carried,) = [c for c in data["concerns"] if c["number"] == concern.pk]
    assert "Wendy Wren" in {p["name"] for p in carried["people"]}
