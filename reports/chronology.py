"""A learner's chronology (DESIGN.md's URL map: everything about one learner, in time order):
the concerns naming them, what was done about each, and the devices confiscated from them.

Here, above incidents and devices, because it reads both. What a viewer is shown follows the
one secrecy rule (incidents/visibility.py): only concerns they see in full, no device of a
concern concealed from them, and a device's concern named only when they see that concern."""

from datetime import date

from django.db.models import Exists, OuterRef
from django.template.defaultfilters import linebreaksbr
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString

from devices.models import Confiscation, CustodyEvent, CustodyState, Search
from incidents.models import Entry, Involvement, Referral
from incidents.visibility import concerns_triaged_by, without_concealed
from roper.links import link_maker
from roper.permissions import has_perm

#: What of a concern's timeline the chronology shows (not notes such as an addition).
ENTRY_KINDS = [
    Entry.Kind.TRIAGE,
    Entry.Kind.ACTION,
    Entry.Kind.REFERRAL,
    Entry.Kind.PARENT_CONTACT,
    Entry.Kind.CLOSURE,
    Entry.Kind.WITHDRAWAL,
]


def learner_chronology(*, learner, user) -> list[dict]:
    """The rows of `learner`'s chronology as `user` may see them, oldest first. A row has
    `at`, `kind`, `concern` (or None), `text`, `detail`, and for a device or a search,
    `confiscation` or `search`."""
    concerns = list(
        concerns_triaged_by(user)
        .filter(Exists(Involvement.objects.filter(concern=OuterRef("pk"), learner=learner)))
        .select_related("category")
        .only("reported_at", "what_happened", "category__name")
    )
    shown = {c.pk: c for c in concerns}
    rows = [_concern_row(c) for c in concerns]
    # A learner's history is hundreds of entries and custody events: read as plain rows (as
    # models they were a third of the page's time), each entry's concern from those above.
    kinds, referrals = dict(Entry.Kind.choices), dict(Referral.choices)
    entries = Entry.objects.filter(concern_id__in=shown, kind__in=ENTRY_KINDS).values_list(
        "concern_id", "kind", "at", "text", "referral", "referred_at", "contact_who"
    )
    rows += [_entry_row(entry, shown[entry[0]], kinds, referrals) for entry in entries]
    # Devices linked to a concern concealed from the user are left out; a link to a concern
    # is shown only when the user sees that concern in full.
    confiscations = {
        c.pk: c
        for c in without_concealed(Confiscation.objects.filter(learner=learner), user, "concern")
    }
    states = dict(CustodyState.choices)
    events = CustodyEvent.objects.filter(confiscation_id__in=confiscations).values_list(
        "confiscation_id", "sequence", "state", "at", "note"
    )
    by_confiscation: dict[int, list] = {pk: [] for pk in confiscations}  # in their order
    for event in events:
        by_confiscation[event[0]].append(event)
    rows += [
        _custody_row(confiscations[pk], event, shown, states)
        for pk, its_events in by_confiscation.items()
        for event in its_events
    ]
    # Searches, for those who read the record of searches (devices.searches), on the same
    # secrecy rule as the devices: none whose confiscation is of a concern concealed from them.
    if has_perm(user, "devices.searches", learner.school_id):
        searches = without_concealed(
            Search.objects.filter(learner=learner), user, "confiscation__concern"
        ).select_related("searched_by")
        rows += [_search_row(search) for search in searches]
    rows.sort(key=lambda row: row["at"])
    return rows


def for_page(rows: list[dict]) -> list[dict]:
    """The rows as the page shows them: each row's time, links (to the confiscation, to the
    concern) and notes formatted here, in one pass, so that the template only places them.
    The HTML is the same as `|date`, `{% url %}` and `|linebreaksbr` gave, without their cost
    per call (a 3-year chronology has some 600 rows, and those calls were most of its time)."""
    concern_link = link_maker("incidents:detail", "#")
    confiscation_link = link_maker("devices:confiscation", "confiscation #")
    search_link = link_maker("devices:search", "search #")
    zone = timezone.get_current_timezone()
    # "M" in the active language, once per month rather than once per row.
    months = {m: dateformat.format(date(2000, m, 1), "M") for m in range(1, 13)}
    for row in rows:
        at = row["at"].astimezone(zone)
        row["when"] = f"{at.day} {months[at.month]} {at.year:04d} {at.hour:02d}:{at.minute:02d}"
        text = row["text"]
        row["notes"] = linebreaksbr(text) if "\n" in text or "\r" in text else escape(text)
        links = []
        if "search" in row:
            links.append(search_link(row["search"].pk))
        if "confiscation" in row:
            links.append(confiscation_link(row["confiscation"].pk))
        if row["concern"] is not None:
            links.append(concern_link(row["concern"].pk))
        row["links"] = SafeString(", ".join(links))  # nosec B703 - links made safe above
        # The whole row, each cell escaped as the template's {{ }} would (a 3-year
        # chronology's ~3,000 variables placed one by one were a third of its time).
        cells = (row["when"], row["kind"], row["links"], row["detail"], row["notes"])
        row["row"] = SafeString(  # nosec B703 - every cell escaped just here
            "<tr>" + "".join(f"<td>{conditional_escape(cell)}</td>" for cell in cells) + "</tr>"
        )
    return rows


def rows_html(rows: list[dict]) -> SafeString:
    """The table's rows as one piece of HTML, as the template's loop placed them (its
    whitespace too): 600 iterations of a template loop cost more than the join."""
    return SafeString("".join(f"\n  {row['row']}\n  " for row in rows))  # nosec B703


def _concern_row(concern) -> dict:
    return {
        "at": concern.reported_at,
        "kind": "Concern reported",
        "concern": concern,
        "text": concern.what_happened,
        "detail": concern.category.name,
    }


def _entry_row(entry, concern, kinds, referrals) -> dict:
    _, kind, at, text, referral, referred_at, contact_who = entry
    if kind == Entry.Kind.PARENT_CONTACT:
        detail = contact_who or "Not told"
    else:
        detail = referrals.get(referral, referral) if referral else ""
    return {
        "at": referred_at or at,
        "kind": kinds.get(kind, kind),
        "concern": concern,
        "text": text,
        "detail": detail,
    }


def _custody_row(confiscation, event, shown, states) -> dict:
    _, sequence, state, at, note = event
    return {
        "at": at,
        "kind": f"Device {states.get(state, state).lower()}",
        "concern": shown.get(confiscation.concern_id),
        # The first movement is the confiscation itself: its reason says what happened.
        "text": confiscation.reason if sequence == 1 else note,
        "detail": confiscation.device,
        "confiscation": confiscation,
    }


def _search_row(search) -> dict:
    found = search.found if search.anything_found else "Nothing found."
    return {
        "at": search.searched_at,
        "kind": "Searched",
        "concern": None,
        "text": f"{search.grounds}\n{found}",
        "detail": f"{search.place}; by {search.searched_by.get_full_name() or search.searched_by}",
        "search": search,
    }
