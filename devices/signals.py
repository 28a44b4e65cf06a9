"""Signals devices sends, for the apps above it (which it does not import): conduct sends
the parent notices from them."""

from django.dispatch import Signal

#: Sent with `confiscation` and `by` when a device is confiscated, inside the transaction
#: that records it.
confiscation_recorded = Signal()

#: Sent with `confiscation` and `by` when a confiscated device is placed in the secure store,
#: from where a parent or carer on file may collect it; inside the same transaction.
confiscation_ready = Signal()

#: Sent with `ids` (confiscation ids) while confiscations are being destroyed by retention,
#: before they are deleted and inside the same transaction: a receiver destroys what refers
#: to them (conduct: the breaches and parent notices), so nothing of them outlives them.
confiscations_destroying = Signal()

#: Sent with `confiscation` and `user` when `user` opens the confiscation's page (the view has
#: checked they may see it). A receiver returns a section to show on it, a dict with the
#: `template` to include and what it needs (conduct: the notices sent to the parents), or None.
confiscation_shown = Signal()
