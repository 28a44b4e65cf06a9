"""What an MIS adapter gives the importer: the school's students, each as a row of Roper's
columns (people/importer.py, ROPER_COLUMNS and contactN_*), with its contacts and class.
An adapter only reads; the importer checks and applies, as for an uploaded file."""

from abc import ABC, abstractmethod
from collections.abc import Iterator


class MisError(Exception):
    """The MIS could not be read. The message is safe to show the school's admin: it names
    the failure (status, which request), never data the provider sent."""


class MisAdapter(ABC):
    #: Shown as the import's source ("Wonde").
    source: str = ""

    @abstractmethod
    def school(self) -> dict:
        """The school as the provider knows it (at least its name and URN when known)."""

    @abstractmethod
    def students(self) -> Iterator[dict]:
        """Every student on roll, as a dict of Roper's import columns."""

    def employees(self) -> Iterator[dict]:
        """Staff, as dicts of email, first_name and last_name (none, for an adapter that reads
        no staff)."""
        return iter(())
