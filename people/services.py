"""Importing learners and their parents/carers from a school MIS export."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction

from people.models import Guardian, Guardianship, Learner, School, YearGroup

REQUIRED_COLUMNS = [
    "upn",
    "legal_first_name",
    "legal_last_name",
    "date_of_birth",
    "year_group",
    "class",
]
OPTIONAL_COLUMNS = ["preferred_name", "active"]
CONTACT_FIELDS = ["name", "relationship", "phone", "email", "may_collect"]
MAX_CONTACTS = 4
CONTACT_COLUMNS = [f"contact{n}_{f}" for n in range(1, MAX_CONTACTS + 1) for f in CONTACT_FIELDS]
KNOWN_COLUMNS = set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS + CONTACT_COLUMNS)

YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}
YEAR_GROUPS = {v.lower(): v for v in YearGroup.values} | {
    label.lower(): v for v, label in YearGroup.choices
}


class ImportError_(Exception):
    """The file cannot be imported; `problems` says why, line by line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    guardians_created: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    learner: dict
    contacts: list[dict]


def _parse_date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
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


def _parse_row(line: int, raw: dict, seen_upns: dict) -> _Row:
    values = {k: (v or "").strip() for k, v in raw.items() if k}
    missing = [c for c in REQUIRED_COLUMNS if not values.get(c)]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    upn = values["upn"].upper()
    if not (len(upn) == 13 and upn[0].isalpha() and upn[1:12].isdigit()):
        raise ValueError(
            f"UPN {values['upn']!r} is not 13 characters (a letter, 11 digits, a letter or digit)"
        )
    if upn in seen_upns:
        raise ValueError(f"UPN {upn} appears twice (also on line {seen_upns[upn]})")
    seen_upns[upn] = line
    year = YEAR_GROUPS.get(values["year_group"].lower().removeprefix("year ").strip())
    if year is None:
        year = YEAR_GROUPS.get(values["year_group"].lower())
    if year is None:
        raise ValueError(f"year group {values['year_group']!r} is not one of N, R, 1–13")
    dob = _parse_date(values["date_of_birth"])
    if not date(1990, 1, 1) <= dob <= date.today():
        raise ValueError(f"date of birth {values['date_of_birth']} is not plausible")
    learner = {
        "upn": upn,
        "legal_first_name": values["legal_first_name"][:100],
        "legal_last_name": values["legal_last_name"][:100],
        "preferred_name": values.get("preferred_name", "")[:100],
        "date_of_birth": dob,
        "year_group": year,
        "class_name": values["class"][:50],
        "active": _parse_bool(values.get("active") or "yes", "active"),
    }
    contacts = []
    for n in range(1, MAX_CONTACTS + 1):
        contact = {f: values.get(f"contact{n}_{f}", "") for f in CONTACT_FIELDS}
        if not any(contact.values()):
            continue
        if not contact["name"] or not contact["relationship"]:
            raise ValueError(f"contact {n} needs a name and a relationship")
        if contact["email"] and "@" not in contact["email"]:
            raise ValueError(f"contact {n}'s email {contact['email']!r} is not an email address")
        contact["may_collect"] = _parse_bool(contact["may_collect"], f"contact{n}_may_collect")
        contacts.append(contact)
    return _Row(line=line, learner=learner, contacts=contacts)


def parse_learner_csv(text: str) -> list[_Row]:
    """Check the whole file first; raise ImportError_ listing every bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    unknown = [c for c in columns if c and c not in KNOWN_COLUMNS]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"The file is missing the column(s): {', '.join(missing)}.")
        if unknown:
            problems.append(f"The file has column(s) Roper does not know: {', '.join(unknown)}.")
        problems.append("See the README for the columns an import file needs.")
        raise ImportError_(problems)
    rows, problems, seen = [], [], {}
    for raw in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue
        if None in raw:
            problems.append(f"Line {line}: more values than columns.")
            continue
        try:
            rows.append(_parse_row(line, raw, seen))
        except ValueError as exc:
            problems.append(f"Line {line}: {exc}.")
    if problems:
        raise ImportError_(problems)
    if not rows:
        raise ImportError_(["The file has no learners in it."])
    return rows


@transaction.atomic
def learners_import(*, school: School, text: str) -> ImportResult:
    """Create or update learners by UPN, with their contacts. All or nothing."""
    rows = parse_learner_csv(text)
    result = ImportResult()
    existing = {lr.upn: lr for lr in Learner.objects.filter(school=school)}
    guardians = {(g.name.lower(), g.email.lower(), g.phone): g for g in school.guardians.all()}
    for row in rows:
        learner = existing.get(row.learner["upn"])
        if learner is None:
            learner = Learner.objects.create(school=school, **row.learner)
            result.created += 1
        else:
            changed = [k for k, v in row.learner.items() if getattr(learner, k) != v]
            if changed:
                for k in changed:
                    setattr(learner, k, row.learner[k])
                learner.save()
                result.updated += 1
        keep = []
        for contact in row.contacts:
            key = (contact["name"].lower(), contact["email"].lower(), contact["phone"])
            guardian = guardians.get(key)
            if guardian is None:
                guardian = Guardian.objects.create(
                    school=school,
                    name=contact["name"],
                    email=contact["email"],
                    phone=contact["phone"],
                )
                guardians[key] = guardian
                result.guardians_created += 1
            Guardianship.objects.update_or_create(
                learner=learner,
                guardian=guardian,
                defaults={
                    "relationship": contact["relationship"],
                    "may_collect": contact["may_collect"],
                },
            )
            keep.append(guardian.pk)
        learner.guardianships.exclude(guardian_id__in=keep).delete()
    return result
