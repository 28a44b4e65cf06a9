"""A learner's child-protection file sent to another school, received from one, and
accepted within the trust. Thin: the rules are in services.py and importing.py."""

from django.contrib import messages
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from people.models import Learner, School
from roper.errors import refusal_redirects
from roper.models import AccessLog
from roper.permissions import get_object_or_404, has_perm, permission_required, schools_with
from transfers.concerns_csv import CsvImportError, concerns_csv_import
from transfers.forms import ConcernsCsvForm, ImportForm, TransferForm
from transfers.importing import package_import
from transfers.models import PackageImport, Transfer
from transfers.package import PackageError
from transfers.services import (
    passphrase_suggest,
    transfer_accept,
    transfer_send_package,
    transfer_send_trust,
)

VIEW, SEND = "transfers.view", "transfers.send"


def _visible(user):
    """The transfers of the schools where `user` holds transfers.view: sent from them, or
    sent to them within the trust."""
    schools = schools_with(user, VIEW)
    return Transfer.objects.filter(Q(from_school__in=schools) | Q(to_school__in=schools))


@permission_required(VIEW, where="active")
def transfer_list(request):
    transfers = (
        _visible(request.user)
        .filter(Q(from_school=request.school) | Q(to_school=request.school))
        .select_related("learner", "from_school")
    )
    imports = PackageImport.objects.for_user(request.user, VIEW, school=request.school)
    imports = imports.select_related("learner", "imported_by")
    return render(
        request,
        "transfers/transfer_list.html",
        {
            "transfers": transfers,
            "imports": imports,
            "can_send": has_perm(request.user, SEND, request.school),
        },
    )


@permission_required(SEND, model=Learner)
def transfer_start(request, pk):
    learner = get_object_or_404(Learner.objects.select_related("school"), request.user, SEND, pk=pk)
    school = learner.school
    trust_schools = (
        School.objects.filter(trust_id=school.trust_id).exclude(pk=school.pk)
        if school.trust_id
        else School.objects.none()
    )
    # A passphrase is suggested on the form (shown on this page only, never stored); the DSL
    # may type their own. It goes to the receiving DSL by another channel.
    form = TransferForm(
        request.POST or None,
        trust_schools=trust_schools,
        initial={"passphrase": passphrase_suggest()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if form.to_school is not None:
            transfer = transfer_send_trust(
                learner=learner, by=request.user, to_school=form.to_school, in_year=data["in_year"]
            )
            messages.success(
                request, f"Sent. {transfer.to_name}'s DSLs are told and must accept it."
            )
        else:
            transfer = transfer_send_package(
                learner=learner,
                by=request.user,
                to_name=data["to_name"].strip(),
                to_urn=data["to_urn"].strip(),
                in_year=data["in_year"],
                passphrase=data["passphrase"],
            )
            messages.success(
                request,
                "The package is ready. Download it and send it to the receiving DSL; give them "
                "the passphrase by another channel, and the receipt link.",
            )
        return redirect("transfers:detail", pk=transfer.pk)
    response = render(request, "transfers/transfer_start.html", {"learner": learner, "form": form})
    response["Cache-Control"] = "no-store"
    return response


def _receipt(request, transfer) -> dict:
    return {
        "receipt_url": request.build_absolute_uri(
            reverse("transfer_receipt:confirm") + f"?code={transfer.receipt_code}"
        ),
    }


def _transfer(request, pk) -> Transfer:
    try:
        return (
            _visible(request.user).select_related("learner", "from_school", "to_school").get(pk=pk)
        )
    except Transfer.DoesNotExist:
        raise Http404 from None


@permission_required(VIEW)
def transfer_detail(request, pk):
    transfer = _transfer(request, pk)
    sender = transfer.from_school_id in schools_with(request.user, VIEW)
    context = {
        "transfer": transfer,
        "sender": sender,
        "can_accept": (
            transfer.kind == Transfer.Kind.TRUST
            and not transfer.done
            and has_perm(request.user, SEND, transfer.to_school_id)
        ),
    }
    if sender and transfer.kind == Transfer.Kind.PACKAGE:
        context.update(_receipt(request, transfer))
    return render(request, "transfers/transfer_detail.html", context)


@permission_required(SEND)
def transfer_package(request, pk):
    """The encrypted package, for the sending DSL to send (useless without the passphrase)."""
    transfer = _transfer(request, pk)
    if not transfer.package or not has_perm(request.user, SEND, transfer.from_school_id):
        raise Http404
    AccessLog.record_access(
        user=request.user,
        obj=transfer.learner,
        school=transfer.from_school_id,
        what=f"transfer package of learner {transfer.learner_id} downloaded",
        action=AccessLog.Action.DOWNLOAD,
    )
    return FileResponse(
        transfer.package.open("rb"),
        as_attachment=True,
        filename=f"child-protection-{slugify(transfer.learner.upn)}.roper",
        content_type="application/octet-stream",
    )


@require_POST
@permission_required(SEND)
@refusal_redirects("transfers:detail")
def transfer_accept_view(request, pk):
    transfer = _transfer(request, pk)
    if transfer.to_school_id is None or not has_perm(request.user, SEND, transfer.to_school_id):
        raise Http404
    try:
        transfer_accept(transfer_id=transfer.pk, by=request.user)
    except PackageError as error:
        messages.error(request, str(error))
        return redirect("transfers:detail", pk=pk)
    messages.success(request, f"Accepted: {transfer.learner.name}'s file is now in your school.")
    return redirect("transfers:detail", pk=pk)


@permission_required(SEND, where="active")
def package_import_view(request):
    form = ImportForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    if request.method == "POST" and form.is_valid():
        try:
            done = package_import(
                blob=form.cleaned_data["package"].read(),
                passphrase=form.cleaned_data["passphrase"],
                school=request.school,
                by=request.user,
                attach=form.cleaned_data["attach"],
            )
        except PackageError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Imported {done.learner.name}'s child-protection file from {done.from_name}.",
            )
            return redirect("reports:chronology", pk=done.learner_id)
    return render(request, "transfers/import.html", {"form": form})


@permission_required(SEND, where="active")
def concerns_csv_view(request):
    """Concerns from another system, as CSV: all or nothing, each bad line listed."""
    # Bound on every POST: a form of one file has no POST fields of its own.
    form = ConcernsCsvForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    problems = []
    if request.method == "POST" and form.is_valid():
        try:
            text = form.cleaned_data["file"].read().decode("utf-8-sig")
        except UnicodeDecodeError:
            problems = ["The file is not UTF-8 text: save it as CSV UTF-8 and try again."]
        else:
            try:
                done = concerns_csv_import(school=request.school, text=text, by=request.user)
            except CsvImportError as error:
                problems = error.problems
            else:
                messages.success(request, f"Imported {done.manifest['rows']} concerns.")
                return redirect("transfers:list")
    return render(request, "transfers/concerns_csv.html", {"form": form, "bad_lines": problems})
