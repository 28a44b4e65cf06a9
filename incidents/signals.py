"""Signals incidents sends, for the apps above it (which it does not import)."""

from django.dispatch import Signal

#: Sent with `ids` (concern ids) while concerns are being destroyed by retention, before
#: they are deleted and inside the same transaction. A receiver destroys what belongs to them
#: (devices: the confiscations), so nothing of a concern outlives it.
concerns_destroying = Signal()
