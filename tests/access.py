"""The access matrix: every URL × every persona → the status they get.

Each app lists its URLs in `tests/<app>/access.py` as `ACCESS = {url name: Case(...)}`; a URL
with several kinds of record (a learner concern, a staff allegation …) has one case per kind,
keyed `"name#kind"`. `tests/test_access_matrix.py` fails for any URL in the URL conf without
a case, so a new URL cannot be forgotten.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.conftest import ALL_PERSONAS


@dataclass(frozen=True)
class Case:
    #: (world, user) -> the URL to request; may create the records it needs.
    build: Callable
    #: persona -> expected status code.
    expect: dict[str, int]
    method: str = "get"
    data: dict = field(default_factory=dict)
    #: False for the few pages anyone may open without signing in.
    login_required: bool = True


def only(*allowed, ok=200, denied=403, outsider=None) -> dict[str, int]:
    """`ok` for the allowed personas, `denied` for every other one. The outsider (a member of
    another school) gets `outsider`, or `denied` when not given."""
    unknown = set(allowed) - set(ALL_PERSONAS)
    assert not unknown, f"unknown personas {unknown}"
    expect = {p: ok if p in allowed else denied for p in ALL_PERSONAS}
    expect["outsider"] = outsider if outsider is not None else expect["outsider"]
    return expect


def everyone(status=200) -> dict[str, int]:
    return dict.fromkeys(ALL_PERSONAS, status)


STAFF = ("office", "teacher", "leadership", "osl", "dsl", "deputy_dsl", "head")
SAFEGUARDING = ("osl", "dsl", "deputy_dsl", "head")
