"""Wonde (https://docs.wonde.com): the school's data through its documented REST API.

GET {base}/schools/{id}/students?include=contacts,contacts.contact_details,classes,
education_details,year&per_page=200 (and /employees?include=contact_details for the staff)
with a Bearer token; a page's `meta.pagination.next` is the URL of the next one (null on the
last)."""

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

from django.conf import settings

from people.mis.base import MisAdapter, MisError

PER_PAGE = 200
TIMEOUT = 30
REFUSALS = {
    401: "the token was refused",
    403: "the token may not read this school",
    404: "Wonde does not know this school id",
}
STUDENT_INCLUDES = "contacts,contacts.contact_details,classes,education_details,year"


class WondeAdapter(MisAdapter):
    source = "Wonde"

    def __init__(self, *, school_id: str, token: str, base_url: str | None = None):
        self.school_id = school_id
        self.token = token
        self.base_url = (base_url or settings.WONDE_API_URL).rstrip("/")

    def _get(self, url: str) -> dict:
        parts = urllib.parse.urlsplit(url)
        base = urllib.parse.urlsplit(self.base_url)
        # A `next` link elsewhere would carry the token to another host.
        if parts.scheme not in ("https", "http") or parts.netloc != base.netloc:
            raise MisError("Wonde sent a link to another address; the sync stopped.")
        request = urllib.request.Request(  # noqa: S310 - scheme and host checked above
            url, headers={"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310  # nosec B310
                return json.load(response)
        except urllib.error.HTTPError as exc:
            reason = REFUSALS.get(exc.code, "Wonde failed")
            raise MisError(f"Wonde answered {exc.code}: {reason}.") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise MisError(f"Wonde could not be reached ({type(exc).__name__}).") from None
        except ValueError:
            raise MisError("Wonde's answer was not JSON.") from None

    def _pages(self, path: str, params: dict) -> Iterator[dict]:
        url = f"{self.base_url}/schools/{urllib.parse.quote(self.school_id)}/{path}"
        url += "?" + urllib.parse.urlencode({**params, "per_page": PER_PAGE})
        while url:
            page = self._get(url)
            yield from page.get("data") or []
            url = ((page.get("meta") or {}).get("pagination") or {}).get("next")

    def school(self) -> dict:
        data = self._get(f"{self.base_url}/schools/{urllib.parse.quote(self.school_id)}")
        return data.get("data") or {}

    def students(self) -> Iterator[dict]:
        for student in self._pages("students", {"include": STUDENT_INCLUDES}):
            yield student_row(student)

    def employees(self) -> Iterator[dict]:
        for employee in self._pages("employees", {"include": "contact_details"}):
            yield employee_row(employee)


def _data(value, default=None):
    """Wonde wraps an included object or list in {"data": …}."""
    if isinstance(value, dict) and "data" in value:
        return value["data"]
    return default if value is None else value


def student_row(student: dict) -> dict:
    """One Wonde student as a row of Roper's import columns."""
    education = _data(student.get("education_details"), {}) or {}
    year = _data(student.get("year"), {}) or {}
    classes = _data(student.get("classes"), []) or []
    born = (student.get("date_of_birth") or {}).get("date", "") or ""
    registration = next(
        (c for c in classes if (c.get("type") or "").upper() == "REGISTRATION"), None
    ) or (classes[0] if classes else {})
    row = {
        "upn": education.get("upn") or "",
        "legal_first_name": student.get("legal_forename") or student.get("forename") or "",
        "legal_last_name": student.get("legal_surname") or student.get("surname") or "",
        "preferred_name": student.get("forename") or "",
        "date_of_birth": born[:10],
        "year_group": str(year.get("code") or year.get("name") or ""),
        "class": registration.get("name") or "",
    }
    contacts = sorted(
        _data(student.get("contacts"), []) or [],
        key=lambda c: (c.get("relationship") or {}).get("priority") or 99,
    )
    for n, contact in enumerate(contacts[:4], start=1):
        relationship = contact.get("relationship") or {}
        details = _data(contact.get("contact_details"), {}) or {}
        emails, phones = details.get("emails") or {}, details.get("phones") or {}
        name = " ".join(p for p in (contact.get("forename"), contact.get("surname")) if p)
        row |= {
            f"contact{n}_name": name,
            f"contact{n}_relationship": relationship.get("relationship") or "",
            f"contact{n}_phone": phones.get("primary") or phones.get("mobile") or "",
            f"contact{n}_email": emails.get("primary") or emails.get("email") or "",
            f"contact{n}_priority": str(relationship.get("priority") or n),
            f"contact{n}_parental_responsibility": "yes"
            if relationship.get("parental_responsibility")
            else "no",
        }
    return row


def employee_row(employee: dict) -> dict:
    """One Wonde employee as a staff row (email, first_name, last_name): the work email
    first, as staff sign in with it."""
    details = _data(employee.get("contact_details"), {}) or {}
    emails = details.get("emails") or {}
    return {
        "email": emails.get("work") or emails.get("primary") or emails.get("email") or "",
        "first_name": employee.get("legal_forename") or employee.get("forename") or "",
        "last_name": employee.get("legal_surname") or employee.get("surname") or "",
    }
