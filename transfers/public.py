"""The page a receiving school uses to confirm it received a transfer package: no sign-in
(it has no account here). The code is 192 random bits, so codes cannot be guessed or counted;
tries are limited per address all the same, and a wrong code says only that it is not one."""

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.shortcuts import render

from transfers.forms import ReceiptForm
from transfers.services import transfer_confirm_receipt

TRIES_PER_HOUR = 20


def _too_many(request) -> bool:
    from axes.helpers import get_client_ip_address

    key = f"transfer-receipt:{get_client_ip_address(request) or 'unknown'}"
    cache.add(key, 0, 3600)
    try:
        return cache.incr(key) > TRIES_PER_HOUR
    except ValueError:
        cache.set(key, 1, 3600)
        return False


@login_not_required
def receipt_confirm(request):
    form = ReceiptForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    status, confirmed = 200, None
    if request.method == "POST":
        if _too_many(request):
            form.add_error(None, "Too many tries from here: try again in an hour.")
            status = 429
        elif form.is_valid():
            confirmed = transfer_confirm_receipt(
                code=form.cleaned_data["code"].strip(), name=form.cleaned_data["name"]
            )
            if confirmed is None:
                form.add_error(
                    "code", "This is not a receipt code awaiting confirmation. Check it."
                )
    response = render(
        request, "transfers/receipt.html", {"form": form, "confirmed": confirmed}, status=status
    )
    response["Cache-Control"] = "no-store"
    return response
