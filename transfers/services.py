"""Sending a learner's child-protection file to another school, and confirming its receipt
(KCSIE: within five school days, separately from the main pupil file, receipt confirmed)."""

import hashlib
import secrets

from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from incidents.models import private_storage
from people.calendar import SchoolCalendar
from roper.errors import Refused
from roper.models import AccessLog
from roper.notifications import notification_send
from roper.permissions import holders
from transfers.models import Transfer
from transfers.package import package_data, package_seal

#: KCSIE: within five school days of an in-year move, or of the start of the new term.
SCHOOL_DAYS = 5
#: Words of a passphrase Roper suggests (EFF-style: easy to read out over the phone).
_WORDS = [
    "amber",
    "acorn",
    "anchor",
    "apple",
    "badger",
    "beacon",
    "birch",
    "bramble",
    "breeze",
    "canal",
    "cedar",
    "cobalt",
    "comet",
    "coral",
    "cricket",
    "daisy",
    "delta",
    "ember",
    "falcon",
    "fern",
    "fjord",
    "garnet",
    "harbour",
    "hazel",
    "heron",
    "indigo",
    "island",
    "ivy",
    "jasper",
    "kestrel",
    "lagoon",
    "lantern",
    "maple",
    "meadow",
    "nectar",
    "oak",
    "orbit",
    "otter",
    "pebble",
    "pepper",
    "quartz",
    "raven",
    "river",
    "saffron",
    "sparrow",
    "spruce",
    "summit",
    "thistle",
    "tiger",
    "tulip",
    "umber",
    "valley",
    "violet",
    "walnut",
    "willow",
    "yarrow",
    "zephyr",
]


def passphrase_suggest() -> str:
    """Eight random words of 57 (about 46 bits; with scrypt's cost per guess, out of reach),
    separated by hyphens: easy to read out over the phone."""
    return "-".join(secrets.choice(_WORDS) for _ in range(8))


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def transfer_deadline(*, school, start):
    """Five school days of the sending school. Only school days count, so one rule covers
    both of KCSIE's cases: five days of an in-year move, and the first five days of the new
    term for a file sent in the holidays (the in-year flag is recorded, for the record)."""
    return SchoolCalendar(school).add_school_days(start, SCHOOL_DAYS)


@transaction.atomic
def transfer_send_package(
    *, learner, by, to_name: str, to_urn: str, in_year: bool, passphrase: str
) -> Transfer:
    """Make the encrypted package of `learner`'s file (what `by` may see) and record the
    transfer. The passphrase is used and forgotten: it is never stored."""
    now = timezone.now()
    data = package_data(learner=learner, user=by, to_name=to_name, to_urn=to_urn)
    blob = package_seal(data, passphrase=passphrase)
    transfer = Transfer(
        learner=learner,
        from_school=learner.school,
        kind=Transfer.Kind.PACKAGE,
        to_name=to_name,
        to_urn=to_urn,
        in_year=in_year,
        sent_by=by,
        sent_by_name=_name(by),
        sent_at=now,
        deadline=transfer_deadline(school=learner.school, start=now),
        package_sha256=hashlib.sha256(blob).hexdigest(),
    )
    transfer.package.save(f"{data['package_id']}.roper", ContentFile(blob), save=False)
    transfer.save()
    AccessLog.record_access(
        user=by,
        obj=learner,
        school=learner.school_id,
        what=f"child-protection file of learner {learner.pk} packaged for {to_name}",
        action=AccessLog.Action.DOWNLOAD,
    )
    return transfer


def transfer_confirm_receipt(*, code: str, name: str) -> Transfer | None:
    """The receiving school confirms receipt with the code it was given (no sign-in: it has
    no account here). None for a code that is not one (or was used already)."""
    with transaction.atomic():
        # Two confirmations at once: the row lock lets one in; the other finds it done.
        transfer = (
            Transfer.objects.select_for_update()
            .filter(receipt_code=code, kind=Transfer.Kind.PACKAGE, status=Transfer.Status.SENT)
            .first()
        )
        if transfer is None:
            return None
        transfer.status = Transfer.Status.RECEIVED
        transfer.received_at = timezone.now()
        transfer.received_by_name = name.strip()[:200]
        # Received: the sending school keeps no copy of the package (its own records stay,
        # under its retention schedule); its SHA-256 stays as the record of what was sent.
        stored, transfer.package = transfer.package.name, ""
        transfer.save(update_fields=["status", "received_at", "received_by_name", "package"])
        if stored:
            transaction.on_commit(lambda: private_storage.delete(stored))
        notification_send(
            recipients=[transfer.sent_by, *holders(transfer.from_school, "transfers.send")],
            school=transfer.from_school,
            title=f"{transfer.to_name} confirmed receipt of a child-protection file",
            url=reverse("transfers:detail", args=[transfer.pk]),
        )
    return transfer


@transaction.atomic
def transfer_send_trust(*, learner, by, to_school, in_year: bool) -> Transfer:
    """Start a transfer to another school of the trust: its DSLs are told and must accept."""
    now = timezone.now()
    transfer = Transfer.objects.create(
        learner=learner,
        from_school=learner.school,
        kind=Transfer.Kind.TRUST,
        to_school=to_school,
        to_name=to_school.name,
        to_urn=to_school.urn,
        in_year=in_year,
        sent_by=by,
        sent_by_name=_name(by),
        sent_at=now,
        deadline=transfer_deadline(school=learner.school, start=now),
    )
    AccessLog.record_access(
        user=by,
        obj=learner,
        school=learner.school_id,
        what=f"child-protection file of learner {learner.pk} sent to {to_school.name}",
        action=AccessLog.Action.CHANGE,
    )
    notification_send(
        recipients=holders(to_school, "transfers.send"),
        school=to_school,
        title=f"{learner.school.name} sent you a child-protection file to accept",
        url=reverse("transfers:detail", args=[transfer.pk]),
    )
    return transfer


class AlreadyDone(Refused):
    """A transfer accepted (or its receipt confirmed) already."""


def transfer_accept(*, transfer_id: int, by) -> Transfer:
    """The receiving school's DSL accepts a transfer within the trust: the file is copied to
    their school (the sending DSL's view of it, on the secrecy rule, as a package would carry
    it), the sending school's learner is marked as left, and both schools' logs say who sent
    and who received, when. A second acceptance is refused (AlreadyDone)."""
    from transfers.importing import package_data_import

    with transaction.atomic():
        # Two DSLs accepting at once: the row lock lets one in; the other finds it accepted.
        transfer = Transfer.objects.select_for_update().get(pk=transfer_id)
        if transfer.status != Transfer.Status.SENT:
            raise AlreadyDone(
                f"This transfer was accepted already, by {transfer.received_by_name} on "
                f"{timezone.localtime(transfer.received_at):%d/%m/%Y at %H:%M}."
            )
        learner = transfer.learner
        data = package_data(
            learner=learner,
            user=transfer.sent_by,
            to_name=transfer.to_name,
            to_urn=transfer.to_urn,
        )
        # The child may be on roll at the receiving school already (its MIS import): their
        # file joins that learner, when the UPN, name and date of birth agree.
        done = package_data_import(data=data, school=transfer.to_school, by=by, attach=True)
        now = timezone.now()
        transfer.status = Transfer.Status.ACCEPTED
        transfer.received_at = now
        transfer.received_by = by
        transfer.received_by_name = _name(by)
        transfer.save(update_fields=["status", "received_at", "received_by", "received_by_name"])
        learner.active = False  # left: the sending school keeps its records as retention says
        learner.save(update_fields=["active"])
        AccessLog.record_access(
            user=by,
            obj=learner,
            school=transfer.from_school_id,
            what=(
                f"child-protection file of learner {learner.pk} sent by {transfer.sent_by_name}"
                f" accepted by {transfer.received_by_name} of {transfer.to_name}"
            ),
            action=AccessLog.Action.DOWNLOAD,
        )
        AccessLog.record_access(
            user=by,
            obj=done.learner,
            school=transfer.to_school_id,
            what=(
                f"child-protection file of learner {done.learner.pk} received from "
                f"{transfer.from_school.name}, sent by {transfer.sent_by_name}"
            ),
            action=AccessLog.Action.CHANGE,
        )
        notification_send(
            recipients=[transfer.sent_by],
            school=transfer.from_school,
            title=f"{transfer.to_name} accepted a child-protection file",
            url=reverse("transfers:detail", args=[transfer.pk]),
        )
    return transfer
