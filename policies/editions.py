"""The current editions of the statutory and national guidance a school's policies cite, in
one place, and the check that finds a policy citing an older one (a policy imported from a
2020 template cites KCSIE 2019). Update a row when the DfE publishes a new edition.

Each row: the guidance, the current edition (a year), and the ways a policy names it (regular
expressions, case-insensitive). A citation is a name followed, within a few characters of
punctuation or Markdown (quotes, brackets, "](#)"), by a year: "'[Keeping Children Safe in
Education](#)' 2019", "KCSIE (2019)", "Working Together to Safeguard Children 2018".
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Guidance:
    name: str
    current: int
    names: tuple[str, ...]
    url: str = ""


CURRENT_EDITIONS = [
    Guidance(
        "Keeping Children Safe in Education",
        2026,
        (r"keeping\s+children\s+safe\s+in\s+education", r"\bKCSIE"),
        "https://www.gov.uk/government/publications/keeping-children-safe-in-education--2",
    ),
    Guidance(
        "Working Together to Safeguard Children",
        2023,
        (r"working\s+together\s+to\s+safeguard\s+children", r"\bworking\s+together\b"),
        "https://www.gov.uk/government/publications/working-together-to-safeguard-children--2",
    ),
    Guidance(
        "Searching, screening and confiscation",
        2022,
        (r"searching,?\s+screening,?\s+and\s+confiscation",),
        "https://www.gov.uk/government/publications/searching-screening-and-confiscation",
    ),
    Guidance(
        "Filtering and monitoring standards for schools and colleges",
        2023,
        (r"filtering\s+and\s+monitoring\s+standards",),
        "https://www.gov.uk/guidance/meeting-digital-and-technology-standards-in-schools-and-colleges/filtering-and-monitoring-standards-for-schools-and-colleges",
    ),
    Guidance(
        "Sharing nudes and semi-nudes (UKCIS)",
        2024,
        (r"sharing\s+nudes\s+and\s+semi-nudes", r"\bsexting\s+in\s+schools\s+and\s+colleges"),
        "https://www.gov.uk/government/publications/sharing-nudes-and-semi-nudes-advice-for-education-settings-working-with-children-and-young-people",
    ),
    Guidance(
        "Prevent duty guidance",
        2023,
        (r"prevent\s+duty\s+guidance", r"\bthe\s+prevent\s+duty\b"),
        "https://www.gov.uk/government/publications/prevent-duty-guidance",
    ),
    Guidance(
        "Behaviour in schools",
        2024,
        (r"behaviour\s+in\s+schools", r"behaviour\s+and\s+discipline\s+in\s+schools"),
        "https://www.gov.uk/government/publications/behaviour-in-schools--2",
    ),
    Guidance(
        "Mobile phones in schools",
        2026,
        (r"mobile\s+phones\s+in\s+schools",),
        "https://www.gov.uk/government/publications/mobile-phones-in-schools",
    ),
]

#: Between a guidance's name and its year: punctuation, spaces and Markdown, but no words.
_GAP = r"[^\w]{0,12}(?:\(#\)|\([^)\s]{0,200}\))?[^\w]{0,6}"
_YEAR = r"((?:19|20)\d{2})\b"


@dataclass(frozen=True)
class StaleCitation:
    guidance: Guidance
    cited: int
    text: str

    def __str__(self):
        return (
            f"Cites {self.guidance.name} {self.cited}: the current edition is "
            f"{self.guidance.current}."
        )


def _patterns():
    for guidance in CURRENT_EDITIONS:
        for name in guidance.names:
            yield guidance, re.compile(f"({name}){_GAP}{_YEAR}", re.IGNORECASE)


PATTERNS = list(_patterns())


def stale_citations(text: str) -> list[StaleCitation]:
    """Each guidance `text` cites in an edition older than the current one, once per
    guidance and year, in the order of the table."""
    found: dict[tuple[str, int], StaleCitation] = {}
    for guidance, pattern in PATTERNS:
        for match in pattern.finditer(text):
            year = int(match[2])
            if year < guidance.current and (guidance.name, year) not in found:
                found[(guidance.name, year)] = StaleCitation(guidance, year, match[0])
    return list(found.values())
