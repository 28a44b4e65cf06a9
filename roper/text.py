"""Names and titles never carry bidirectional control characters.

A user-typed name or title with U+202E RIGHT-TO-LEFT OVERRIDE (or another explicit
embedding, override or isolate) can reorder what is shown around it: "Amelia\u202egnp.exe"
displays as "Ameliaexe.png", and the text after it in a line, an email subject, a CSV cell or
a file name can be spoofed the same way.

Where: at input, in one place. Every model's short text fields (CharField and its kinds:
names, titles, file names, places) are cleaned on save, whatever the way in - a form, the
admin, an import, a service. Cleaning at output instead would mean every template, email,
CSV and PDF, and a missed one is a hole. Nothing legitimate is lost: right-to-left names
(Arabic, Hebrew) display correctly without these characters, and LRM/RLM marks, which
cannot override, are kept. Long free text (TextField: what a child said, in the words used)
is a record and is kept as written; it is shown in a block of its own.
"""

import re

from django.db import models
from django.db.models.signals import pre_save
from django.dispatch import receiver

#: LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def strip_bidi(value: str) -> str:
    return BIDI_CONTROLS.sub("", value)


@receiver(pre_save, dispatch_uid="roper.text.strip_bidi_controls")
def strip_bidi_controls(sender, instance, **kwargs):
    for field in sender._meta.concrete_fields:
        if isinstance(field, models.CharField):
            value = getattr(instance, field.attname)
            if isinstance(value, str) and BIDI_CONTROLS.search(value):
                setattr(instance, field.attname, strip_bidi(value))
