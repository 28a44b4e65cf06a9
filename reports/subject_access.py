"""Everything Roper holds about one learner, as one export for a subject access request (issue
19): for the DSL to review and redact before anything is released, with the names of third
parties flagged for redaction.

Here, above every app, because it reads them all. Each record is given whole: every stored
field, choices as their labels, people as their names, files as their name, size and SHA-256
(the files themselves stay in the private store). What the DSL is shown follows the one
secrecy rule (incidents/visibility.py), as the chronology does: only concerns they see in
full, and no device, search or notice tied to a concern concealed from them, nor the device a
breach names when it is (a request about a concern concealed from the DSL is answered by
whoever sees it: another DSL or the headteacher).

Third parties are flagged, not removed: everyone other than the learner named in a concern
about them (another child, a member of staff alleged, a visitor or a parent typed in), and any
other learner of the school whose name appears in a record's text. Staff acting for the school
(who recorded, who triaged) are not flagged: the DSL decides.
"""

import hashlib
import re
from collections import defaultdict
from datetime import date, datetime

from django.db.models import Exists, Model, OuterRef, Prefetch, Q
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join

from conduct.models import Breach, ParentNotice
from devices.models import (
    Absence,
    Confiscation,
    Handover,
    LearnerExemption,
    ParentContactException,
    Search,
)
from incidents.models import Involvement
from incidents.visibility import concerns_triaged_by, without_concealed
from people.models import Guardianship, Learner
from roper.models import RandomIdModel

FORMAT = "roper-subject-access"
VERSION = 1
#: Fields that say how Roper keeps a record, not what it says about the learner.
TECHNICAL = {"school", "email_claimed_until", "email_attempts", "email_error"}


class _Ref:
    """A related row, named once all of a file's references are read (one query per model)."""

    __slots__ = ("model", "pk")

    def __init__(self, model, pk):
        self.model, self.pk = model, pk


def _value(obj: Model, field):
    value = getattr(obj, field.attname)
    if value is None or value == "":
        return value
    if field.is_relation:
        return _Ref(field.related_model, value)
    if field.choices:
        return getattr(obj, f"get_{field.name}_display")()
    if hasattr(value, "name") and hasattr(value, "storage"):  # a file: its name, not its path
        return value.name.rsplit("/", 1)[-1]
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return value


def record(obj: Model, *, skip=()) -> dict:
    """Every stored field of `obj` by its label, except how Roper keeps it. A concern's,
    a device's or a search's id is its number (the one people quote); other ids are Roper's
    own and left out."""
    numbered = isinstance(obj, RandomIdModel)
    return {
        ("number" if field.primary_key else str(field.verbose_name)): _value(obj, field)
        for field in obj._meta.concrete_fields
        if field.name not in TECHNICAL
        and field.name not in skip
        and (numbered or not field.primary_key)
    }


def _name(obj) -> str:
    full = getattr(obj, "get_full_name", None)
    if full is not None:
        return full() or obj.get_username()
    return str(obj)


def _resolve(tree):
    """Replace every _Ref in `tree` by the name of the row it points at."""
    wanted = defaultdict(set)

    def collect(node):
        if isinstance(node, _Ref):
            wanted[node.model].add(node.pk)
        elif isinstance(node, dict):
            for item in node.values():
                collect(item)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(tree)
    names = {}
    for model, pks in wanted.items():
        if issubclass(model, RandomIdModel):  # a concern, a device, a search: by its number
            names[model] = {pk: f"{model._meta.verbose_name} #{pk}" for pk in pks}
        else:
            names[model] = {pk: _name(o) for pk, o in model._default_manager.in_bulk(pks).items()}

    def replace(node):
        if isinstance(node, _Ref):
            return names[node.model].get(node.pk, f"(removed {node.model._meta.verbose_name})")
        if isinstance(node, dict):
            return {key: replace(item) for key, item in node.items()}
        if isinstance(node, list):
            return [replace(item) for item in node]
        return node

    return replace(tree)


def _sha256(stored) -> str:
    digest = hashlib.sha256()
    with stored.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _concerns(learner, user) -> tuple[list[dict], list[dict]]:
    """The concerns naming the learner that `user` sees in full, each with its people, its
    timeline and its evidence; and the third parties they name."""
    concerns = (
        visible_records(learner=learner, user=user)["concerns"]
        .select_related("category")
        .prefetch_related(
            Prefetch("involvements", Involvement.objects.select_related("learner", "staff")),
            "entries",
            "evidence",
        )
        .order_by("reported_at")
    )
    out, others = [], []
    for concern in concerns:
        people = []
        for involvement in concern.involvements.all():
            person = record(involvement, skip={"concern", "is_subject"})
            people.append(person)
            if involvement.learner_id != learner.pk:
                who = involvement.learner or involvement.staff or involvement.name
                others.append(
                    {
                        "name": who if isinstance(who, str) else _Ref(type(who), who.pk),
                        "why": f"{involvement.get_part_display()} in concern #{concern.pk}",
                    }
                )
        evidence = []
        for item in concern.evidence.all():
            evidence.append({**record(item, skip={"concern"}), "SHA-256": _sha256(item.file)})
        out.append(
            {
                **record(concern),
                "category": concern.category.name,
                "people": people,
                "timeline": [record(e, skip={"concern"}) for e in concern.entries.all()],
                "evidence": evidence,
            }
        )
    return out, others


def visible_records(*, learner: Learner, user) -> dict:
    """The records about `learner` that `user` may see, on the one secrecy rule
    (incidents/visibility.py): the concerns naming them that `user` sees in full, the devices
    and searches of no concern concealed from `user`, and the breaches (never concealed; the
    device a breach names may be: check it against `confiscations`). Querysets; the subject
    access export and the transfer package (transfers/) both read them."""
    confiscations = without_concealed(Confiscation.objects.filter(learner=learner), user, "concern")
    return {
        "concerns": concerns_triaged_by(user).filter(
            Exists(Involvement.objects.filter(concern=OuterRef("pk"), learner=learner))
        ),
        "confiscations": confiscations,
        "searches": without_concealed(
            Search.objects.filter(learner=learner), user, "confiscation__concern"
        ),
        # A breach is never concealed (conduct.views); the device it names may be.
        "breaches": Breach.objects.filter(learner=learner),
    }


def learner_file(*, learner: Learner, user) -> dict:
    """Everything about `learner` that `user` may see, as plain data (JSON as it stands)."""
    concerns, others = _concerns(learner, user)
    visible = visible_records(learner=learner, user=user)
    confiscations, searches, breaches = (
        visible["confiscations"],
        visible["searches"],
        visible["breaches"],
    )
    visible_confiscations = confiscations.values("pk")
    shown_devices = set(confiscations.values_list("pk", flat=True))
    notices = ParentNotice.objects.filter(learner=learner).filter(
        Q(confiscation__isnull=True) | Q(confiscation__in=visible_confiscations)
    )
    guardianships = Guardianship.objects.filter(learner=learner).select_related("guardian")
    tree = {
        "format": FORMAT,
        "version": VERSION,
        "made_at": timezone.localtime().isoformat(timespec="minutes"),
        "made_by": _name(user),
        "school": learner.school.name,
        "learner": record(learner),
        "parents_and_carers": [
            {**record(g.guardian), **record(g, skip={"learner", "guardian"})} for g in guardianships
        ],
        "phone_handovers": [
            record(h, skip={"learner"})
            for h in Handover.objects.filter(learner=learner).order_by("in_at")
        ],
        "absences_marked": [
            record(a, skip={"learner"})
            for a in Absence.objects.filter(learner=learner).order_by("school_day")
        ],
        "confiscations": [
            {
                **record(c, skip={"learner"}),
                "custody": [record(e, skip={"confiscation"}) for e in c.events.all()],
            }
            for c in confiscations.prefetch_related("events").order_by("confiscated_at")
        ],
        "searches": [record(s, skip={"learner"}) for s in searches.order_by("searched_at")],
        "breaches": [
            record(
                b,
                skip={"learner"}
                if b.confiscation_id in shown_devices
                else {"learner", "confiscation"},
            )
            for b in breaches.order_by("at")
        ],
        "notices_to_parents": [record(n, skip={"learner"}) for n in notices.order_by("pk")],
        "exemptions": [
            record(e, skip={"learner"}) for e in LearnerExemption.objects.filter(learner=learner)
        ],
        "parent_contact_exceptions": [
            record(e, skip={"learner"})
            for e in ParentContactException.objects.filter(learner=learner)
        ],
        "concerns": concerns,
        "third_parties": others,
    }
    tree = _resolve(tree)
    tree["third_parties"] += _named_in_text(tree, learner)
    return tree


def _texts(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for item in node.values():
            yield from _texts(item)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def _named_in_text(tree: dict, learner: Learner | None, school_id=None) -> list[dict]:
    """Other learners of the school whose full name appears in the file's text (every
    learner of `school_id`, for a member of staff's file)."""
    names = {}
    learners = Learner.objects.filter(school_id=learner.school_id if learner else school_id)
    for other in learners.exclude(pk=learner.pk) if learner else learners:
        for name in {other.name, f"{other.legal_first_name} {other.legal_last_name}"}:
            names[name.casefold()] = name
    if not names:
        return []
    pattern = names_pattern(names)
    already = {entry["name"].casefold() for entry in tree["third_parties"]}
    found = {}
    for text in _texts({k: v for k, v in tree.items() if k != "third_parties"}):
        for match in pattern.finditer(text):
            key = match[0].casefold()
            if key not in already:
                found.setdefault(key, names[key])
    why = "another learner, named in a record" if learner else "a learner, named in a record"
    return [{"name": name, "why": why} for name in found.values()]


def flag_pattern(third_parties: list[dict]):
    """A regular expression matching every flagged name, for marking them on the page."""
    names = sorted(
        {entry["name"] for entry in third_parties if entry["name"]}, key=len, reverse=True
    )
    if not names:
        return None
    return names_pattern(names)


def names_pattern(names):
    """Any of `names` as a whole word, in any case, the longest where several match at one
    place. Names that nest too deep for the regular expression parser (hundreds, each the
    start of the next: none a school has, but names are typed by people) are joined as a
    plain list instead: the same matches, found more slowly."""
    try:
        return re.compile(r"\b(" + _alternation(names) + r")\b", re.IGNORECASE)
    except RecursionError:
        longest_first = sorted(names, key=len, reverse=True)
        plain = "|".join(re.escape(name) for name in longest_first)
        return re.compile(r"\b(" + plain + r")\b", re.IGNORECASE)


def _alternation(names) -> str:
    """A regular expression matching any of `names`, the longest where several match at one
    place, as "|".join of them longest first would; written as a tree of their common
    beginnings, so that the regular expression engine does not try every name (a school's
    3,000 names, tried one by one at every letter of a member of staff's file, were a third
    of its page's time)."""
    tree: dict = {}
    for name in names:
        node = tree
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}  # a name ends here

    def branch(node: dict) -> str:
        parts = [re.escape(char) + branch(child) for char, child in node.items() if char]
        if not parts:
            return ""
        either = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
        # A name that ends here is tried only after every longer one that goes on.
        return f"(?:{either})?" if "" in node else either

    return branch(tree)


def _mark(value, pattern) -> str:
    """The value as HTML, each flagged name in <mark>."""
    text = "" if value is None else str(value)
    if pattern is None:
        return escape(text)
    parts = pattern.split(text)  # the names are captured: every odd part is one
    return format_html_join(
        "",
        "{}",
        (
            (format_html("<mark>{}</mark>", part) if n % 2 else part,)
            for n, part in enumerate(parts)
        ),
    )


def _marked_record(node: dict, pattern) -> dict:
    fields, lists = [], []
    for label, value in node.items():
        if isinstance(value, list):
            lists.append(
                (label.replace("_", " ").capitalize(), [_marked_record(v, pattern) for v in value])
            )
        elif value not in (None, ""):
            fields.append((label[:1].upper() + label[1:], _mark(value, pattern)))
    return {"fields": fields, "lists": lists}


def marked(node, pattern) -> list[dict]:
    """A section of the file as the page shows it: records of (label, HTML) fields, and the
    lists inside them (a concern's people, timeline and evidence; a device's custody)."""
    rows = node if isinstance(node, list) else [node]
    return [_marked_record(row, pattern) for row in rows]


# -- A member of staff -------------------------------------------------------------------------


def _staff_concerns(member, school, user) -> tuple[list[dict], list[dict], set[int]]:
    """The concerns of `school` that `user` sees in full and that name `member` (as a person
    involved) or that `member` reported; the third parties they name; their numbers."""
    concerns = (
        concerns_triaged_by(user)
        .filter(school=school)
        .filter(
            Q(reporter=member)
            | Exists(Involvement.objects.filter(concern=OuterRef("pk"), staff=member))
        )
        .select_related("category")
        .prefetch_related(
            Prefetch("involvements", Involvement.objects.select_related("learner", "staff")),
            "entries",
        )
        .order_by("reported_at")
    )
    out, others = [], []
    for concern in concerns:
        people = []
        for involvement in concern.involvements.all():
            people.append(record(involvement, skip={"concern", "is_subject"}))
            if involvement.staff_id != member.pk:
                who = involvement.learner or involvement.staff or involvement.name
                others.append(
                    {
                        "name": who if isinstance(who, str) else _Ref(type(who), who.pk),
                        "why": f"{involvement.get_part_display()} in concern #{concern.pk}",
                    }
                )
        out.append(
            {
                **record(concern),
                "category": concern.category.name,
                "their part": "reported it"
                if concern.reporter_id == member.pk
                and not any(i.staff_id == member.pk for i in concern.involvements.all())
                else "named in it",
                "people": people,
                "timeline": [record(e, skip={"concern"}) for e in concern.entries.all()],
            }
        )
    return out, others, {c.pk for c in concerns}


def staff_file(*, member, school, user) -> dict:
    """Everything Roper holds about `member` at `school` that `user` may see, as plain data:
    their account and roles, concerns naming them or reported by them (on the one secrecy
    rule), policies acknowledged, training, devices they handled, phone handovers at the
    desk, exceptions they asked for, the audit of their roles and sign-in, and the access log
    of what they opened (entries on concerns and devices `user` may not see left out)."""
    from django.contrib.contenttypes.models import ContentType

    from devices.models import DeskEntry, StaffException
    from incidents.models import Concern
    from people.models import AuditEntry, Membership
    from policies.models import Acknowledgement, TrainingAttendance
    from roper.models import AccessLog

    concerns, others, shown = _staff_concerns(member, school, user)
    devices = without_concealed(Confiscation.objects.filter(school=school), user, "concern")
    handled = devices.filter(Q(confiscated_by=member) | Q(events__by=member)).distinct()
    log = AccessLog.objects.filter(school=school, user=member).order_by("at")
    concern_type = ContentType.objects.get_for_model(Concern)
    device_type = ContentType.objects.get_for_model(Confiscation)
    log = log.exclude(Q(content_type=concern_type) & ~Q(object_id__in=shown)).exclude(
        Q(content_type=device_type) & ~Q(object_id__in=devices.values("pk"))
    )
    account = {
        "username": member.get_username(),
        "name": member.get_full_name(),
        "email": member.email,
        "active": member.is_active,
        "joined": _value(member, member._meta.get_field("date_joined")),
        "last sign-in": _value(member, member._meta.get_field("last_login")),
    }
    memberships = Membership.objects.filter(user=member).filter(
        Q(school=school) | Q(trust_id=school.trust_id, trust__isnull=False)
    )
    tree = {
        "format": "roper-subject-access-staff",
        "version": VERSION,
        "made_at": timezone.localtime().isoformat(timespec="minutes"),
        "made_by": _name(user),
        "school": school.name,
        "member": account,
        "roles": [
            {"where": str(m.school or m.trust), "roles": ", ".join(m.roles)} for m in memberships
        ],
        "concerns": concerns,
        "confiscations": [
            {
                **record(c),
                "custody": [
                    record(e, skip={"confiscation"}) for e in c.events.all() if e.by_id == member.pk
                ],
            }
            for c in handled.prefetch_related("events").order_by("confiscated_at")
        ],
        "policy_acknowledgements": [
            {
                "policy": str(a.version.policy),
                "version": a.version.number,
                "at": _value(a, a._meta.get_field("at")),
            }
            for a in Acknowledgement.objects.filter(
                user=member, version__policy__school=school
            ).select_related("version__policy")
        ],
        "training": [
            {"session": str(t.session), "recorded": _value(t, t._meta.get_field("recorded_at"))}
            for t in TrainingAttendance.objects.filter(
                user=member, session__school=school
            ).select_related("session")
        ],
        "desk_entries": [
            record(d, skip={"school"})
            for d in DeskEntry.objects.filter(school=school, by=member).order_by("at")
        ],
        "exceptions_requested": [
            record(e, skip={"school"})
            for e in StaffException.objects.filter(school=school, requested_by=member)
        ],
        "roles_and_sign_in_audit": [
            record(a, skip={"school", "actor", "subject"})
            for a in AuditEntry.objects.filter(school=school)
            .filter(Q(subject=member) | Q(actor=member))
            .order_by("at")
        ],
        "access_log": [record(entry, skip={"school", "user", "content_type"}) for entry in log],
        "third_parties": others,
    }
    tree = _resolve(tree)
    tree["third_parties"] += _named_in_text(tree, None, school_id=school.pk)
    return tree
