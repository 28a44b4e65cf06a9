"""A learner's chronology (DESIGN.md's URL map: everything about one learner, in time order):
the concerns naming them, what was done about each, and the devices confiscated from them.

Here, above incidents and devices, because it reads both. What a viewer is shown follows the
one secrecy rule (incidents/visibility.py): only concerns they see in full, no device of a
concern concealed from them, and a device's concern named only when they see that concern."""

from django.db.models import Exists, OuterRef

from devices.models import Confiscation
from incidents.models import Entry, Involvement
from incidents.visibility import concerns_triaged_by, without_concealed

#: What of a concern's timeline the chronology shows (not notes such as an addition).
ENTRY_KINDS = [
    Entry.Kind.TRIAGE,
    Entry.Kind.ACTION,
    Entry.Kind.REFERRAL,
    Entry.Kind.PARENT_CONTACT,
    Entry.Kind.CLOSURE,
]


def learner_chronology(*, learner, user) -> list[dict]:
    """The rows of `learner`'s chronology as `user` may see them, oldest first. A row has
    `at`, `kind`, `concern` (or None), `text`, `detail`, and `entry` or `confiscation`."""
    concerns = (
        concerns_triaged_by(user)
        .filter(Exists(Involvement.objects.filter(concern=OuterRef("pk"), learner=learner)))
        .select_related("category", "reporter")
    )
    rows = [_concern_row(c) for c in concerns]
    entries = Entry.objects.filter(concern__in=concerns, kind__in=ENTRY_KINDS).select_related(
        "concern", "author"
    )
    rows += [_entry_row(e) for e in entries]
    # Devices linked to a concern concealed from the user are left out; a link to a concern
    # is shown only when the user sees that concern in full.
    confiscations = without_concealed(
        Confiscation.objects.filter(learner=learner), user, "concern"
    ).prefetch_related("events")
    shown = {c.pk: c for c in concerns}
    for confiscation in confiscations:
        concern = shown.get(confiscation.concern_id)
        rows += [_custody_row(confiscation, event, concern) for event in confiscation.events.all()]
    rows.sort(key=lambda row: row["at"])
    return rows


def _concern_row(concern) -> dict:
    return {
        "at": concern.reported_at,
        "kind": "Concern reported",
        "concern": concern,
        "text": concern.what_happened,
        "detail": concern.category.name,
    }


def _entry_row(entry) -> dict:
    if entry.kind == Entry.Kind.PARENT_CONTACT:
        detail = entry.contact_who or "Not told"
    else:
        detail = entry.get_referral_display() if entry.referral else ""
    return {
        "at": entry.referred_at or entry.at,
        "kind": entry.get_kind_display(),
        "concern": entry.concern,
        "text": entry.text,
        "detail": detail,
        "entry": entry,
    }


def _custody_row(confiscation, event, concern) -> dict:
    return {
        "at": event.at,
        "kind": f"Device {event.get_state_display().lower()}",
        "concern": concern,
        # The first movement is the confiscation itself: its reason says what happened.
        "text": confiscation.reason if event.sequence == 1 else event.note,
        "detail": confiscation.device,
        "confiscation": confiscation,
    }
