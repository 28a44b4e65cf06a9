"""The receipt page: no sign-in (transfers/public.py). Not under transfers/: every view
there is guarded by a permission (tests/test_guarded.py); this one is public by design."""

from django.urls import path

from transfers import public

app_name = "transfer_receipt"

urlpatterns = [path("receipt/", public.receipt_confirm, name="confirm")]
