from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.access import Case, everyone, only
from transfers.models import Transfer

SENDERS = ("dsl", "deputy_dsl")
READERS = (*SENDERS, "head")


def _transfer(w, **fields) -> Transfer:
    return Transfer.objects.create(
        learner=w.learner,
        from_school=w.school,
        to_name=w.other_school.name,
        sent_by=w.users["dsl"],
        sent_by_name="Dsl Persona",
        deadline=timezone.now(),
        **fields,
    )


def _package(w, u):
    path = Path(settings.PRIVATE_STORAGE_ROOT) / "transfers" / "access-matrix.roper"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(b'{"format":"roper-transfer-package"}\n')
    transfer = _transfer(w, kind=Transfer.Kind.PACKAGE, package="transfers/access-matrix.roper")
    return reverse("transfers:package", args=[transfer.pk])


def _trust(w, u):
    transfer = _transfer(w, kind=Transfer.Kind.TRUST, to_school=w.other_school)
    return reverse("transfers:accept", args=[transfer.pk])


ACCESS = {
    # The transfers of the school one works in (the outsider's: school B's).
    "transfers:list": Case(lambda w, u: reverse("transfers:list"), only(*READERS, outsider=200)),
    "transfers:import": Case(
        lambda w, u: reverse("transfers:import"), only(*SENDERS, outsider=200)
    ),
    "transfers:import_concerns": Case(
        lambda w, u: reverse("transfers:import_concerns"), only(*SENDERS, outsider=200)
    ),
    # Sending a learner's file: the DSL and deputy of the learner's school.
    "transfers:start": Case(
        lambda w, u: reverse("transfers:start", args=[w.learner.pk]),
        only(*SENDERS, outsider=404),
    ),
    "transfers:start#other_school": Case(
        lambda w, u: reverse("transfers:start", args=[w.other_learner.pk]),
        {**only(*SENDERS, ok=404, denied=403), "outsider": 200},
    ),
    # A package transfer of school A: its readers; another school's DSL does not find it.
    "transfers:detail": Case(
        lambda w, u: reverse(
            "transfers:detail", args=[_transfer(w, kind=Transfer.Kind.PACKAGE).pk]
        ),
        only(*READERS, outsider=404),
    ),
    # The package itself: the sending DSL and deputy (the head reads the transfer, not the
    # file: it holds what the DSL sees).
    "transfers:package": Case(_package, only(*SENDERS, outsider=404)),
    # Accepting a transfer within the trust: the receiving school's DSL (the outsider, at
    # school B); the sending school's DSLs find nothing to accept.
    "transfers:accept": Case(
        _trust,
        only(*SENDERS, ok=404, outsider=302),
        method="post",
    ),
    # The receipt page: no sign-in (the receiving school has no account here).
    "transfer_receipt:confirm": Case(
        lambda w, u: reverse("transfer_receipt:confirm"), everyone(200), login_required=False
    ),
}
