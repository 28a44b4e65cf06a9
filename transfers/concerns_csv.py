"""Concerns brought from another system as CSV (README, "Bringing concerns from another
system"): one row per concern, for learners already on roll (import them first with
`import_learners`). All or nothing, in the style of `import_learners`: the whole file is
checked first, and every bad line is listed with its line number and the reason. A file
imported once is refused the second time (by its SHA-256)."""

import csv
import hashlib
import io
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import Category, Concern, Entry, Involvement, Referral
from people.models import Learner
from roper.models import AccessLog
from transfers.models import PackageImport

REQUIRED = ["reference", "upn", "category", "reported_at", "what_happened"]
OPTIONAL = [
    "happened_at",
    "reported_by",
    "where",
    "action_taken",
    "status",
    "closed_at",
    "outcome",
    "referral",
    "referral_reference",
]
STATUSES = {"open": Concern.Status.IN_PROGRESS, "closed": Concern.Status.CLOSED}
REFERRALS = {value: value for value in Referral.values} | {
    label.lower(): value for value, label in Referral.choices
}


class CsvImportError(Exception):
    """The file cannot be imported; `problems` says why, line by line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _moment(text: str, column: str) -> datetime:
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return timezone.make_aware(datetime.strptime(text, fmt))
        except ValueError:
            pass
    raise ValueError(
        f"{column} {text!r} is not a date and time (use YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM)"
    )


def _row(values: dict, learners: dict, categories: dict, seen: dict, line: int) -> dict:
    missing = [c for c in REQUIRED if not values.get(c)]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    reference = values["reference"]
    if reference in seen:
        raise ValueError(f"reference {reference} appears twice (also on line {seen[reference]})")
    seen[reference] = line
    learner = learners.get(values["upn"].upper())
    if learner is None:
        raise ValueError(f"no learner on roll here has the UPN {values['upn']}")
    category = categories.get(values["category"].casefold())
    if category is None:
        raise ValueError(f"category {values['category']!r} is not one of this school's")
    if category.is_staff_case:
        raise ValueError(f"category {category.name!r} is an allegation about staff, not a child's")
    reported_at = _moment(values["reported_at"], "reported_at")
    status = STATUSES.get((values.get("status") or "closed").lower())
    if status is None:
        raise ValueError(f"status {values['status']!r} must be open or closed")
    referral = (values.get("referral") or "").lower()
    if referral and referral not in REFERRALS:
        raise ValueError(f"referral {values['referral']!r} is not one of {', '.join(Referral)}")
    closed_at = None
    if status == Concern.Status.CLOSED:
        closed_at = (
            _moment(values["closed_at"], "closed_at") if values.get("closed_at") else reported_at
        )
    return {
        "line": line,
        "reference": reference,
        "learner": learner,
        "category": category,
        "reported_at": reported_at,
        "happened_at": _moment(values["happened_at"], "happened_at")
        if values.get("happened_at")
        else reported_at,
        "reported_by": values.get("reported_by", "")[:200],
        "what_happened": values["what_happened"],
        "where": (values.get("where") or "Not recorded")[:200],
        "done_already": values.get("action_taken", ""),
        "status": status,
        "closed_at": closed_at,
        "outcome": values.get("outcome", ""),
        "referral": REFERRALS.get(referral, ""),
        "referral_reference": values.get("referral_reference", "")[:100],
    }


def parse_concerns_csv(*, school, text: str) -> list[dict]:
    """Check the whole file; CsvImportError listing every bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    missing = [c for c in REQUIRED if c not in columns]
    unknown = [c for c in columns if c and c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"The file is missing the column(s): {', '.join(missing)}.")
        if unknown:
            problems.append(f"The file has column(s) Roper does not know: {', '.join(unknown)}.")
        problems.append("See the README for the columns a concerns file needs.")
        raise CsvImportError(problems)
    learners = {learner.upn.upper(): learner for learner in Learner.objects.filter(school=school)}
    categories = {}
    for category in Category.objects.filter(school=school):
        categories[category.key.casefold()] = category
        categories[category.name.casefold()] = category
    rows, problems, seen = [], [], {}
    for raw in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue
        if None in raw:
            problems.append(f"Line {line}: more values than columns.")
            continue
        values = {k: (v or "").strip() for k, v in raw.items() if k}
        try:
            rows.append(_row(values, learners, categories, seen, line))
        except ValueError as exc:
            problems.append(f"Line {line}: {exc}.")
    if problems:
        raise CsvImportError(problems)
    if not rows:
        raise CsvImportError(["The file has no concerns in it."])
    return rows


def concerns_csv_import(*, school, text: str, by) -> PackageImport:
    """Create every concern of the file, or none."""
    rows = parse_concerns_csv(school=school, text=text)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if PackageImport.objects.filter(school=school, package_id=digest).exists():
        raise CsvImportError(["This file has been imported already. Nothing was imported."])
    try:
        with transaction.atomic():
            for row in rows:
                concern = Concern.objects.create(
                    school=school,
                    category=row["category"],
                    reporter=None,
                    reported_at=row["reported_at"],
                    what_happened=row["what_happened"],
                    happened_at=row["happened_at"],
                    where=row["where"],
                    done_already=row["done_already"],
                    status=row["status"],
                    closed_at=row["closed_at"],
                    outcome=row["outcome"],
                )
                Involvement.objects.create(
                    concern=concern, kind="learner", learner=row["learner"], part="child"
                )
                note = f"Imported from another system (reference {row['reference']})"
                if row["reported_by"]:
                    note += f"; reported there by {row['reported_by']}"
                Entry.objects.create(
                    concern=concern, kind=Entry.Kind.NOTE, at=row["reported_at"], author=by,
                    text=note + ".",
                )  # fmt: skip
                if row["referral"]:
                    Entry.objects.create(
                        concern=concern, kind=Entry.Kind.REFERRAL, at=row["reported_at"],
                        author=by, referral=row["referral"], referred_at=row["reported_at"],
                        police_reference=row["referral_reference"],
                    )  # fmt: skip
            done = PackageImport.objects.create(
                school=school,
                kind=PackageImport.Kind.CSV,
                package_id=digest,
                from_name="CSV of concerns",
                imported_by=by,
                manifest={"rows": len(rows), "references": [r["reference"] for r in rows]},
            )
            AccessLog.record_access(
                user=by,
                obj=done,
                school=school.pk,
                what=f"{len(rows)} concerns imported from a CSV",
                action=AccessLog.Action.CHANGE,
            )
    except IntegrityError as error:  # the same file, imported at the same moment
        raise CsvImportError(["This file has been imported already."]) from error
    return done
