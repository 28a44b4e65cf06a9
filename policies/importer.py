"""Import a policy from a text or Markdown file (`manage.py import_policy`, the demo seed).

The "Key Details" block of a Kent-template policy gives its key people and dates::

    Designated Safeguarding Lead: Lynda Newton, Headteacher
    Online Safety Lead: Sandra Goodwin, Deputy Headteacher
    Named Governor with lead responsibility: Chris Dee
    Date written: January, 2020
    Date agreed and ratified by Governing Body: February, 2020
    Date of next review: January, 2021

People are matched by full name to the school's users; arguments override the block. Any
problem (an empty file, an unknown person, a bad date) raises ImportProblem and saves nothing.

What is imported is also checked, and the checks shown on the policy's checks page
(`import_warnings`): guidance cited in an edition older than the current one (the table in
`policies/editions.py`), and external links that do not answer (recorded here, checked by a
task or the `policy-links` job, never inside the request: `policies/links.py`).
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction
from django.utils.text import slugify

from people.models import Membership
from policies.editions import StaleCitation, stale_citations
from policies.links import links_check_later, links_record
from policies.models import Policy, PolicyLink, PolicyVersion

RESERVED_SLUGS = {"new", "training", "import"}

MONTHS = {
    name: n
    for n, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}

#: label in the Key Details block (lower case, start of line) -> field
LABELS = [
    ("deputy designated safeguarding lead", "deputy_dsl"),
    ("deputy dsl", "deputy_dsl"),
    ("designated safeguarding lead", "dsl"),
    ("online safety lead", "osl"),
    ("named governor", "governor"),
    ("date written", "written"),
    ("date agreed and ratified", "ratified"),
    ("date ratified", "ratified"),
    ("date of next review", "next_review"),
    ("next review", "next_review"),
]
PEOPLE = ("dsl", "deputy_dsl", "osl", "governor")
PEOPLE_LABELS = {
    "dsl": "Designated Safeguarding Lead",
    "deputy_dsl": "deputy DSL",
    "osl": "Online Safety Lead",
    "governor": "named governor",
}
DATES = ("written", "ratified", "next_review")


class ImportProblem(Exception):
    pass


@dataclass
class Parsed:
    title: str = ""
    details: dict = field(default_factory=dict)  # field -> raw text
    body: str = ""


def parse_month(text: str) -> date:
    """'January, 2020', 'January 2020', '2020-01' or '2020-01-15' -> a date (1st of month
    unless a day is given)."""
    raw = text.strip().rstrip(".")
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", raw):
        try:
            return date(int(m[1]), int(m[2]), int(m[3] or 1))
        except ValueError as exc:
            raise ImportProblem(f"{text!r} is not a date: {exc}.") from None
    if m := re.fullmatch(r"([A-Za-z]+),?\s+(\d{4})", raw):
        month = MONTHS.get(m[1].lower())
        if month:
            return date(int(m[2]), month, 1)
    raise ImportProblem(f"{text!r} is not a month: write e.g. 'January 2020' or 2020-01.")


def _to_markdown(lines: list[str]) -> str:
    """The template's numbered headings become Markdown headings; its one-space nested
    bullets become nested list items."""
    out = []
    for line in lines:
        stripped = line.strip()
        if re.fullmatch(r"\d+\.\d+\s+\S.*", stripped):
            out.append(f"### {stripped}")
        elif re.fullmatch(r"\d+\.\s+[A-Z].*", stripped) and len(stripped) < 90:
            out.append(f"## {stripped}")
        elif re.match(r"^ {1,3}[-*] ", line):
            out.append("    " + line.lstrip())
        elif (
            stripped
            and not stripped.startswith(("-", "*", "#"))
            and len(stripped) < 60
            and not stripped.endswith((".", ":", ";", ","))
            and out
            and out[-1] == ""
        ):
            out.append(f"#### {stripped}")  # a sub-heading such as "Reputation"
        else:
            out.append(line.rstrip())
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def parse(text: str) -> Parsed:
    lines = text.splitlines()
    content = [line for line in lines if line.strip()]
    if not content:
        raise ImportProblem("The file is empty: there is no policy text to import.")
    parsed = Parsed(title=content[0].strip().lstrip("# ").strip())
    start = next((i for i, line in enumerate(lines) if line.strip() == content[0].strip()), 0) + 1
    # The Key Details block, if any: "Label: value" lines after a "Key Details" heading.
    key = next(
        (i for i, line in enumerate(lines) if line.strip().lstrip("# ").lower() == "key details"),
        None,
    )
    if key is not None:
        i = key + 1
        while i < len(lines):
            line = lines[i].strip()
            if not line:
                i += 1
                continue
            label, sep, value = line.partition(":")
            found = next((f for lab, f in LABELS if label.strip().lower().startswith(lab)), None)
            if not sep or found is None:
                break
            parsed.details.setdefault(found, value.strip())
            i += 1
        start = i
    parsed.body = _to_markdown(lines[start:])
    return parsed


def find_person(school, text: str, what: str):
    """'Lynda Newton, Headteacher' or a username -> the school's user; else ImportProblem."""
    name = text.split(",")[0].strip()
    if not name:
        raise ImportProblem(f"No name given for the {what}.")
    users = Membership.objects.holders(school)
    matches = [u for u in users if u.get_username().lower() == name.lower()] or [
        u for u in users if u.get_full_name().strip().lower() == name.lower()
    ]
    if not matches:
        raise ImportProblem(
            f"Unknown person for the {what}: no user of {school} is called {name!r}. "
            "Create the account first, or give --dsl/--osl/--governor USERNAME."
        )
    if len(matches) > 1:
        raise ImportProblem(
            f"{name!r} ({what}) matches several users of {school}: give a username instead."
        )
    return matches[0]


def policy_import(
    *,
    school,
    text: str,
    title: str = "",
    slug: str = "",
    people: dict | None = None,
    dates: dict | None = None,
    by=None,
    check_links: bool = True,
) -> Policy:
    """Create a policy, with its first version, from a text file. `people` (dsl, deputy_dsl,
    osl, governor: a username or a full name) and `dates` (written, ratified, next_review:
    'YYYY-MM' or a date) override the Key Details block. Its external links are recorded
    and checked after the import (`check_links`; the demo, which must not need the network,
    leaves them unrecorded)."""
    parsed = parse(text)
    title = (title or parsed.title).strip()
    slug = slug or slugify(title)[:200]
    if not slug or slug in RESERVED_SLUGS:
        raise ImportProblem(f"Choose another title: {title!r} cannot be used for a web address.")
    if Policy.objects.filter(school=school, slug=slug).exists():
        raise ImportProblem(f"{school} already has a policy at /policies/{slug}/.")
    details = {**parsed.details, **{k: v for k, v in (people or {}).items() if v}}
    given_dates = {k: v for k, v in (dates or {}).items() if v}
    found_people = {
        f: find_person(school, details[f], PEOPLE_LABELS[f]) for f in PEOPLE if details.get(f)
    }
    found_dates = {}
    for f in DATES:
        value = given_dates.get(f, details.get(f))
        if value:
            found_dates[f] = value if isinstance(value, date) else parse_month(str(value))
    if not parsed.body.strip():
        raise ImportProblem("The file has key details but no policy text.")
    with transaction.atomic():
        policy = Policy(
            school=school,
            title=title,
            slug=slug,
            body=parsed.body,
            written_on=found_dates.get("written"),
            ratified_on=found_dates.get("ratified"),
            ratification_recorded_by=by if found_dates.get("ratified") else None,
            status=Policy.Status.RATIFIED if found_dates.get("ratified") else Policy.Status.DRAFT,
            **found_people,
        )
        try:
            policy.set_next_review(found_dates.get("next_review"))
        except Exception as exc:  # noqa: BLE001 - ValidationError's message is the problem
            raise ImportProblem("; ".join(getattr(exc, "messages", [str(exc)]))) from None
        policy.save()
        PolicyVersion.objects.create(
            policy=policy,
            number=1,
            body=parsed.body,
            created_by=by,
            ratified_on=policy.ratified_on,
            ratified_by=policy.ratified_by if policy.ratified_on else "",
            recorded_by=by if policy.ratified_on else None,
            change_summary="Imported",
        )
        if check_links:
            links_record(policy=policy)
            links_check_later(policy=policy)
    return policy


def import_warnings(
    *, policy: Policy, links: list[PolicyLink] | None = None
) -> tuple[list[StaleCitation], list[PolicyLink]]:
    """What the checks of an imported policy found: the guidance its text cites in an older
    edition than the current one, and its links (`links`, when already read) whose last
    check failed."""
    dead = [link for link in (policy.links.all() if links is None else links) if link.is_dead]
    return stale_citations(policy.body), dead
