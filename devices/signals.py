"""Signals devices sends, for the apps above it (which it does not import): conduct sends
the parent notices from them."""

from django.dispatch import Signal

#: Sent with `confiscation` and `by` when a device is confiscated, inside the transaction
#: that records it.
confiscation_recorded = Signal()

#: Sent with `confiscation` and `by` when a confiscated device is placed in the secure store,
#: from where a parent or carer on file may collect it; inside the same transaction.
confiscation_ready = Signal()
