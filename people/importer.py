"""The one importer of learners and their parents/carers, for a file uploaded on the import
page, `manage.py import_learners` and an MIS sync (people/mis/) alike.

Rows come in as plain dicts keyed by Roper's own column names (`ROPER_COLUMNS`); a CSV export
of SIMS, Arbor or Bromcom is read by mapping its headers onto them (`HEADER_ALIASES`). Every
row is checked on its own: a row with a problem is reported with its line number and skipped,
the others go ahead. `import_plan` says what applying would create, change (which fields) and
mark as left, without writing; `import_apply` does it, all in one transaction.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from people.calendar import SchoolCalendar
from people.models import Guardian, Guardianship, Learner, School, YearGroup
from roper.text import strip_bidi

REQUIRED = ["upn", "legal_first_name", "legal_last_name", "date_of_birth", "year_group", "class"]
OPTIONAL = ["preferred_name", "active"]
CONTACT_FIELDS = [
    "name",
    "relationship",
    "phone",
    "email",
    "may_collect",
    "priority",
    "parental_responsibility",
]
MAX_CONTACTS = 4
ROPER_COLUMNS = REQUIRED + OPTIONAL
LEARNER_FIELDS = [
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "date_of_birth",
    "year_group",
    "class_name",
    "active",
]

#: The headers of the usual MIS exports, lower-cased with spaces for `_`/`-`, and the Roper
#: column each stands for. The README's table is this one.
HEADER_ALIASES: dict[str, str] = {
    # UPN: SIMS "UPN", Arbor "UPN", Bromcom "UPN" / "Unique Pupil Number".
    "upn": "upn",
    "unique pupil number": "upn",
    # Legal names: SIMS "Legal Forename"/"Legal Surname", Arbor "Legal First Name"/"Legal Last
    # Name", Bromcom "Legal Forename"/"Legal Surname" or "Forename"/"Surname".
    "legal first name": "legal_first_name",
    "legal forename": "legal_first_name",
    "forename": "legal_first_name",
    "first name": "legal_first_name",
    "legal last name": "legal_last_name",
    "legal surname": "legal_last_name",
    "surname": "legal_last_name",
    "last name": "legal_last_name",
    # Preferred names.
    "preferred name": "preferred_name",
    "preferred forename": "preferred_name",
    "preferred first name": "preferred_name",
    "known as": "preferred_name",
    # Date of birth: SIMS "DOB", Arbor "Date Of Birth", Bromcom "Date of Birth".
    "date of birth": "date_of_birth",
    "dob": "date_of_birth",
    "birth date": "date_of_birth",
    # Year: SIMS "Year", Arbor "Year Group", Bromcom "NC Year" / "Curriculum Year".
    "year group": "year_group",
    "year": "year_group",
    "nc year": "year_group",
    "curriculum year": "year_group",
    # Class: SIMS "Reg Group", Arbor "Registration Form", Bromcom "Registration Group".
    "class": "class",
    "reg group": "class",
    "registration group": "class",
    "registration form": "class",
    "tutor group": "class",
    "form": "class",
    "active": "active",
}
#: Contact columns: "Contact 1 Name" (SIMS, Bromcom), "Guardian 1 Name" (Arbor), "contact1_name"
#: (Roper) … with these endings.
CONTACT_ALIASES: dict[str, str] = {
    "name": "name",
    "full name": "name",
    "relationship": "relationship",
    "relation": "relationship",
    "relationship to student": "relationship",
    "phone": "phone",
    "telephone": "phone",
    "mobile": "phone",
    "mobile phone": "phone",
    "mobile telephone": "phone",
    "email": "email",
    "email address": "email",
    "may collect": "may_collect",
    "priority": "priority",
    "contact priority": "priority",
    "parental responsibility": "parental_responsibility",
    "has parental responsibility": "parental_responsibility",
}
CONTACT_HEADER = re.compile(r"^(?:contact|guardian|parent|primary contact) ?([1-9]) (.+)$")

YES = {"yes", "y", "true", "1", "t"}
NO = {"no", "n", "false", "0", "", "f"}
YEAR_GROUPS = {v.lower(): v for v in YearGroup.values} | {
    label.lower(): v for v, label in YearGroup.choices
}
#: The DfE's check letters: A–Z without I, O and S.
UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


class ImportRefused(Exception):
    """The file as a whole cannot be read (no rows, columns missing); `problems` says why."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def upn_check_letter(rest: str) -> str:
    """The check letter of a UPN from its other 12 characters (DfE, "Unique Pupil Numbers"):
    each character times its position's weight (2 for the second … 13 for the thirteenth),
    summed, modulo 23, as a letter of UPN_LETTERS. A letter in the last place (a temporary
    UPN) counts as its place in UPN_LETTERS."""
    total = 0
    for weight, char in enumerate(rest, start=2):
        value = int(char) if char.isdigit() else UPN_LETTERS.index(char)
        total += value * weight
    return UPN_LETTERS[total % 23]


def upn_problem(upn: str) -> str | None:
    if not re.fullmatch(r"[A-Z][0-9]{11}[0-9A-Z]", upn):
        return f"UPN {upn!r} is not 13 characters (a letter, 11 digits, a letter or digit)"
    if upn[12].isalpha() and upn[12] not in UPN_LETTERS:
        return f"UPN {upn!r} ends in a letter a UPN never uses"
    if upn[0] != upn_check_letter(upn[1:]):
        return f"UPN {upn!r} has the wrong check letter (a mistyped digit?)"
    return None


@dataclass
class Row:
    line: int
    upn: str
    learner: dict
    contacts: list[dict]
    #: False when the file has no may_collect column: a re-import keeps what Roper holds.
    sets_may_collect: bool = False
    #: What the preview says of a row that goes ahead (a contact listed twice, read once).
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        data = asdict(self)
        if "date_of_birth" in self.learner:  # a staff row has none
            data["learner"] = {
                **self.learner,
                "date_of_birth": self.learner["date_of_birth"].isoformat(),
            }
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Row":
        learner = dict(data["learner"])
        if "date_of_birth" in learner:
            learner["date_of_birth"] = date.fromisoformat(learner["date_of_birth"])
        return cls(**{**data, "learner": learner})


@dataclass
class Problem:
    line: int
    reason: str

    def __str__(self):
        return f"Line {self.line}: {self.reason}."


@dataclass
class Parsed:
    rows: list[Row]
    problems: list[Problem]
    #: What the headers look like ("SIMS", "Arbor", "Bromcom", "Roper", "Wonde").
    source: str
    #: UPNs of rows skipped for a problem: never marked as left.
    skipped_upns: set[str] = field(default_factory=set)


def _normal(header: str) -> str:
    text = re.sub(r"[_\-.]+", " ", (header or "").strip().lower())
    text = re.sub(r"(contact|guardian|parent)(\d)", r"\1 \2", text)
    return re.sub(r"\s+", " ", text).strip()


def column_for(header: str) -> str | None:
    """Roper's column for a header of an export, or None when Roper does not use it."""
    name = _normal(header)
    if name in HEADER_ALIASES:
        return HEADER_ALIASES[name]
    match = CONTACT_HEADER.match(name)
    if match and int(match[1]) <= MAX_CONTACTS and match[2] in CONTACT_ALIASES:
        return f"contact{match[1]}_{CONTACT_ALIASES[match[2]]}"
    return None


def _columns(headers: list[str]) -> list[str | None]:
    """Roper's column for each header. Two headers for one column (SIMS has both "Forename"
    and "Legal Forename"): the legal one is read, else the first; the other is ignored."""
    columns = [column_for(h) for h in headers]
    for column in set(columns) - {None}:
        same = [j for j, c in enumerate(columns) if c == column]
        if len(same) > 1:
            keep = next((j for j in same if _normal(headers[j]).startswith("legal")), same[0])
            for j in same:
                if j != keep:
                    columns[j] = None
    return columns


def _guess_source(headers: list[str]) -> str:
    names = {_normal(h) for h in headers}
    if "reg group" in names or "legal forename" in names and "dob" in names:
        return "SIMS"
    if "registration form" in names or any(n.startswith("guardian ") for n in names):
        return "Arbor"
    if "registration group" in names or "nc year" in names:
        return "Bromcom"
    return "Roper"


def _parse_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValueError(f"date of birth {text!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def _parse_bool(text: str, column: str) -> bool:
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(f"{column} must be yes or no, not {text!r}")


def _parse_year(text: str) -> str:
    value = text.strip().lower()
    for candidate in (value, value.removeprefix("year").strip(), value.removeprefix("y").strip()):
        if candidate in YEAR_GROUPS:
            return YEAR_GROUPS[candidate]
    if value in {"rec", "yr"}:
        return YearGroup.RECEPTION
    raise ValueError(f"year group {text!r} is not one of N, R, 1–13")


def row_parse(line: int, values: dict) -> Row:
    """One row (Roper's column names) checked and cleaned, or ValueError saying why."""
    # Cleaned here, not by roper.text's pre_save: bulk inserts send no signals.
    values = {k: strip_bidi((v or "").strip()) for k, v in values.items() if k}
    missing = [c for c in REQUIRED if not values.get(c)]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    upn = values["upn"].upper()
    problem = upn_problem(upn)
    if problem:
        raise ValueError(problem)
    dob = _parse_date(values["date_of_birth"])
    if not date(1990, 1, 1) <= dob <= SchoolCalendar.today():
        raise ValueError(f"date of birth {values['date_of_birth']} is not plausible")
    learner = {
        "legal_first_name": values["legal_first_name"][:100],
        "legal_last_name": values["legal_last_name"][:100],
        "preferred_name": values.get("preferred_name", "")[:100],
        "date_of_birth": dob,
        "year_group": _parse_year(values["year_group"]),
        "class_name": values["class"][:50],
        "active": _parse_bool(values.get("active") or "yes", "active"),
    }
    if learner["preferred_name"] == learner["legal_first_name"]:
        learner["preferred_name"] = ""
    numbered = []
    for n in range(1, MAX_CONTACTS + 1):
        contact = {f: values.get(f"contact{n}_{f}", "") for f in CONTACT_FIELDS}
        if not any(contact.values()):
            continue
        if not contact["name"] or not contact["relationship"]:
            raise ValueError(f"contact {n} needs a name and a relationship")
        if contact["email"] and "@" not in contact["email"]:
            raise ValueError(f"contact {n}'s email {contact['email']!r} is not an email address")
        contact["name"] = contact["name"][:200]
        contact["relationship"] = contact["relationship"][:50]
        contact["phone"] = contact["phone"][:30]
        contact["may_collect"] = _parse_bool(contact["may_collect"], f"contact {n} may collect")
        contact["parental_responsibility"] = _parse_bool(
            contact["parental_responsibility"], f"contact {n} parental responsibility"
        )
        priority = contact["priority"]
        if priority and not priority.isdigit():
            raise ValueError(f"contact {n}'s priority {priority!r} is not a number")
        contact["priority"] = int(priority) if priority else n
        numbered.append((n, contact))
    numbered.sort(key=lambda nc: nc[1]["priority"])
    # One person listed twice on a row (as contact 1 and contact 2, or once in capitals) is
    # one contact: the importer knows a parent/carer by _guardian_key, and a learner is linked
    # to a parent/carer once. The first by priority is kept, as it is.
    kept: dict[tuple, int] = {}
    contacts, notes = [], []
    for n, contact in numbered:
        key = _guardian_key(contact["name"], contact["email"], contact["phone"])
        if key in kept:
            notes.append(
                f"contact {n} ({contact['name']}) is contact {kept[key]} again: "
                "read once, as the first listing says"
            )
            continue
        kept[key] = n
        contacts.append(contact)
    sets_may_collect = any(f"contact{n}_may_collect" in values for n in range(1, MAX_CONTACTS + 1))
    return Row(line, upn, learner, contacts, sets_may_collect, notes)


def rows_check(records: Iterable[tuple[int, dict]], *, source: str) -> Parsed:
    """Each (line, values) checked: good rows kept, a problem per bad one. A UPN twice: the
    second is a problem."""
    parsed = Parsed(rows=[], problems=[], source=source)
    seen: dict[str, int] = {}
    for line, values in records:
        upn = (values.get("upn") or "").strip().upper()
        try:
            if "_problem" in values:
                raise ValueError(values["_problem"])
            if upn in seen:
                raise ValueError(f"UPN {upn} appears twice (also on line {seen[upn]})")
            row = row_parse(line, values)
        except ValueError as exc:
            parsed.problems.append(Problem(line, str(exc)))
            if upn:
                parsed.skipped_upns.add(upn)
            continue
        seen[upn] = line
        parsed.rows.append(row)
    return parsed


def rows_from_csv(text: str) -> Parsed:
    """A CSV export read: headers of SIMS, Arbor, Bromcom or Roper's own. Raises
    ImportRefused when the file as a whole cannot be used."""
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    headers = next(reader, None) or []
    columns = _columns(headers)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ImportRefused(
            [
                f"The file is missing the column(s): {', '.join(missing)}.",
                "The import page lists the column names Roper reads (SIMS, Arbor, Bromcom).",
            ]
        )

    def records():
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            line = reader.line_num
            if len(values) > len(headers):
                yield line, {"_problem": "more values than columns"}
                continue
            yield line, {c: v for c, v in zip(columns, values, strict=False) if c}

    parsed = rows_check(records(), source=_guess_source(headers))
    if not parsed.rows and not parsed.problems:
        raise ImportRefused(["The file has no learners in it."])
    return parsed


# -- the plan and applying it --------------------------------------------------------------


def _guardian_key(name: str, email: str, phone: str) -> tuple[str, str, str]:
    return (name.strip().lower(), email.strip().lower(), phone.strip())


def _contacts_now(learner: Learner) -> dict:
    return {
        _guardian_key(g.guardian.name, g.guardian.email, g.guardian.phone): g
        for g in learner.guardianships.all()
    }


def _contacts_differ(row: Row, now: dict) -> bool:
    wanted = {_guardian_key(c["name"], c["email"], c["phone"]): c for c in row.contacts}
    if set(wanted) != set(now):
        return True
    for key, contact in wanted.items():
        link = now[key]
        if (
            link.relationship != contact["relationship"]
            or link.priority != contact["priority"]
            or link.parental_responsibility != contact["parental_responsibility"]
            or (row.sets_may_collect and link.may_collect != contact["may_collect"])
        ):
            return True
    return False


@dataclass
class Plan:
    """What applying would do (or did). Lists hold what the preview shows."""

    created: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    left: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    #: Rows that go ahead with something the admin should know ({line, reason}).
    warnings: list[dict] = field(default_factory=list)
    unchanged: int = 0
    guardians_created: int = 0

    @property
    def no_changes(self) -> bool:
        return not (self.created or self.changed or self.left)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Plan":
        return cls(**data)


def _learners(school: School) -> dict[str, Learner]:
    qs = Learner.objects.filter(school=school).prefetch_related("guardianships__guardian")
    return {lr.upn: lr for lr in qs}


def _label(row_or_learner) -> str:
    if isinstance(row_or_learner, Learner):
        return f"{row_or_learner.name} ({row_or_learner.upn})"
    first = row_or_learner.learner["preferred_name"] or row_or_learner.learner["legal_first_name"]
    return f"{first} {row_or_learner.learner['legal_last_name']} ({row_or_learner.upn})"


def _person(first: str, last: str, born: date) -> tuple[str, str, date]:
    return (first.strip().lower(), last.strip().lower(), born)


def _same_child_warning(row: Row, learner: Learner) -> str:
    born = learner.date_of_birth
    return (
        f"{learner.legal_first_name} {learner.legal_last_name}, born "
        f"{born.day} {born:%b %Y}, is already in Roper with UPN {learner.upn}: "
        f"applying adds a second learner with UPN {row.upn}. If it is the same child with a "
        f"new UPN, discard this preview, change their UPN in Admin to {row.upn} and import "
        "again, so their records stay together"
    )


def _plan(existing: dict, rows: list[Row], *, full_roll: bool, skipped: set[str]) -> Plan:
    plan = Plan()
    in_file = {row.upn for row in rows} | skipped
    # A new UPN with the name and date of birth of a learner on the roll is most likely that
    # learner with a new UPN (a temporary one made permanent). It is added as the file says,
    # since two children may share both, but the preview asks the admin to look first.
    on_roll = {
        _person(lr.legal_first_name, lr.legal_last_name, lr.date_of_birth): lr
        for lr in existing.values()
        if lr.active
    }
    for row in rows:
        plan.warnings += [{"line": row.line, "reason": note} for note in row.notes]
        learner = existing.get(row.upn)
        if learner is None:
            plan.created.append({"line": row.line, "upn": row.upn, "name": _label(row)})
            same = on_roll.get(
                _person(
                    row.learner["legal_first_name"],
                    row.learner["legal_last_name"],
                    row.learner["date_of_birth"],
                )
            )
            if same is not None:
                plan.warnings.append({"line": row.line, "reason": _same_child_warning(row, same)})
            continue
        fields = [f for f in LEARNER_FIELDS if getattr(learner, f) != row.learner[f]]
        if _contacts_differ(row, _contacts_now(learner)):
            fields.append("contacts")
        if fields:
            plan.changed.append(
                {"line": row.line, "upn": row.upn, "name": _label(row), "fields": fields}
            )
        else:
            plan.unchanged += 1
    if full_roll:
        plan.left = [
            {"upn": upn, "name": _label(learner)}
            for upn, learner in sorted(existing.items(), key=lambda kv: kv[1].name)
            if learner.active and upn not in in_file
        ]
    return plan


def import_plan(*, school: School, parsed: Parsed, full_roll: bool) -> Plan:
    """What applying `parsed` to the school would do; writes nothing."""
    plan = _plan(_learners(school), parsed.rows, full_roll=full_roll, skipped=parsed.skipped_upns)
    plan.problems = [asdict(p) for p in parsed.problems]
    return plan


def import_apply(
    *,
    school: School,
    parsed: Parsed,
    full_roll: bool,
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 250,
) -> Plan:
    """Create, change and mark as left what `import_plan` says, in one transaction: a failure
    leaves the school as it was. Rows with a problem were left out already."""
    with transaction.atomic():
        # Two imports of one school at once (an upload and a nightly sync) would both create
        # the same new learners: the second waits here for the first to commit.
        School.objects.select_for_update().get(pk=school.pk)
        existing = _learners(school)
        plan = _plan(existing, parsed.rows, full_roll=full_roll, skipped=parsed.skipped_upns)
        plan.problems = [asdict(p) for p in parsed.problems]
        guardians = {
            _guardian_key(g.name, g.email, g.phone): g
            for g in Guardian.objects.filter(school=school)
        }
        total = len(parsed.rows)
        for start in range(0, total, chunk):
            _apply_chunk(school, parsed.rows[start : start + chunk], existing, guardians, plan)
            if progress:
                progress(min(start + chunk, total), total)
        leavers = [existing[item["upn"]] for item in plan.left]
        for learner in leavers:
            learner.active = False
        if leavers:
            bulk_update_with_history(
                leavers, Learner, ["active"], default_change_reason="Not on the MIS roll"
            )
    return plan


def _apply_chunk(school, rows: list[Row], existing: dict, guardians: dict, plan: Plan) -> None:
    new, changed = [], []
    for row in rows:
        learner = existing.get(row.upn)
        if learner is None:
            learner = Learner(school=school, upn=row.upn, **row.learner)
            new.append(learner)
        elif any(getattr(learner, f) != v for f, v in row.learner.items()):
            for f, v in row.learner.items():
                setattr(learner, f, v)
            changed.append(learner)
    if new:
        # PostgreSQL and SQLite both return the new rows' ids from a bulk insert.
        bulk_create_with_history(new, Learner, default_change_reason="Imported")
        for learner in new:
            existing[learner.upn] = learner
    if changed:
        bulk_update_with_history(changed, Learner, LEARNER_FIELDS, default_change_reason="Imported")

    # Parents and carers: one per (name, email, phone) in the school, shared by siblings.
    new_guardians = {}
    for row in rows:
        for c in row.contacts:
            key = _guardian_key(c["name"], c["email"], c["phone"])
            if key not in guardians and key not in new_guardians:
                new_guardians[key] = Guardian(
                    school=school, name=c["name"], email=c["email"], phone=c["phone"]
                )
    if new_guardians:
        bulk_create_with_history(list(new_guardians.values()), Guardian)
        plan.guardians_created += len(new_guardians)
        guardians.update(new_guardians)

    add, update, remove = [], [], []
    created = {id(learner) for learner in new}
    for row in rows:
        learner = existing[row.upn]
        now = {} if id(learner) in created else _contacts_now(learner)
        if id(learner) not in created and not _contacts_differ(row, now):
            continue
        wanted = set()
        for c in row.contacts:
            key = _guardian_key(c["name"], c["email"], c["phone"])
            wanted.add(key)
            link = now.get(key)
            values = {
                "relationship": c["relationship"],
                "priority": c["priority"],
                "parental_responsibility": c["parental_responsibility"],
            }
            if row.sets_may_collect or link is None:
                values["may_collect"] = c["may_collect"]
            if link is None:
                add.append(Guardianship(learner=learner, guardian=guardians[key], **values))
            elif any(getattr(link, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(link, k, v)
                update.append(link)
        remove += [link for key, link in now.items() if key not in wanted]
    for link in remove:
        link.delete()
    if add:
        bulk_create_with_history(add, Guardianship)
    if update:
        bulk_update_with_history(
            update,
            Guardianship,
            ["relationship", "priority", "parental_responsibility", "may_collect"],
        )


def import_header_table() -> list[tuple[str, list[str]]]:
    """(Roper's column, the export headers read as it), for the import page."""
    table: dict[str, list[str]] = {}
    for header, column in HEADER_ALIASES.items():
        table.setdefault(column, []).append(header)
    return list(table.items())


# -- staff ----------------------------------------------------------------------------------

#: Staff export headers (SIMS "Legal Forename"/"Surname"/"Work Email", Arbor "First Name"/
#: "Last Name"/"Email Address", Bromcom "Forename"/"Surname"/"Email").
STAFF_ALIASES: dict[str, str] = {
    "email": "email",
    "email address": "email",
    "work email": "email",
    "work email address": "email",
    "forename": "first_name",
    "legal forename": "first_name",
    "preferred forename": "first_name",
    "first name": "first_name",
    "legal first name": "first_name",
    "first_name": "first_name",
    "surname": "last_name",
    "legal surname": "last_name",
    "last name": "last_name",
    "legal last name": "last_name",
    "last_name": "last_name",
}
#: The roles an admin may give new staff accounts from the preview: never one that reads
#: safeguarding records (those wait for the headteacher's approval, in /admin/).
STAFF_ROLES = ("staff", "office")


def staff_rows_from_csv(text: str) -> Parsed:
    """A staff export: one account per email. Raises ImportRefused without an email column."""
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    headers = next(reader, None) or []
    columns = [
        STAFF_ALIASES.get(_normal(h)) or STAFF_ALIASES.get(h.strip().lower()) for h in headers
    ]
    missing = [c for c in ("email", "first_name", "last_name") if c not in columns]
    if missing:
        raise ImportRefused([f"The file is missing the column(s): {', '.join(missing)}."])
    records = (
        (reader.line_num, {c: v for c, v in zip(columns, values, strict=False) if c})
        for values in reader
        if any(v.strip() for v in values)
    )
    parsed = staff_rows_check(records, source=_guess_source(headers))
    if not parsed.rows and not parsed.problems:
        raise ImportRefused(["The file has no staff in it."])
    return parsed


def staff_rows_check(records: Iterable[tuple[int, dict]], *, source: str) -> Parsed:
    """Staff rows ((line, {email, first_name, last_name})) checked: one account per email,
    with a first and a last name; a row with a problem is skipped and said why. A file's and
    an MIS's staff alike."""
    parsed = Parsed(rows=[], problems=[], source=source)
    seen: dict[str, int] = {}
    for line, values in records:
        row = {c: strip_bidi((v or "").strip()) for c, v in values.items()}
        email = row.get("email", "").lower()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            parsed.problems.append(
                Problem(line, f"email {row.get('email', '')!r} is not an email address")
            )
            continue
        if not row.get("first_name") or not row.get("last_name"):
            parsed.problems.append(Problem(line, "missing a first name or a last name"))
            continue
        if email in seen:
            parsed.problems.append(
                Problem(line, f"{email} appears twice (also on line {seen[email]})")
            )
            continue
        seen[email] = line
        parsed.rows.append(
            Row(
                line,
                email,
                {"first_name": row["first_name"][:150], "last_name": row["last_name"][:150]},
                [],
            )
        )
    return parsed
