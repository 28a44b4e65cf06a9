"""The navigation, and where each role lands after signing in. Each item is shown only to
people who hold its permission in the school they are working in."""

from dataclasses import dataclass, replace

from django.urls import reverse
from django.utils.module_loading import import_string

from roper.permissions import has_perm


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    #: One permission, or several (any of them shows the item).
    permission: str | tuple[str, ...]
    description: str = ""
    #: Dotted path to a function (user, school) -> int: how many wait there, shown after the
    #: label when there are any.
    count: str = ""

    @property
    def permissions(self) -> tuple[str, ...]:
        return (self.permission,) if isinstance(self.permission, str) else self.permission

    @property
    def url(self):
        return reverse(self.url_name)


NAV: list[NavItem] = [
    NavItem("Learners", "people:learners", "learners.view", "Find a learner and their contacts."),
    NavItem(
        "Report a concern", "incidents:new", "incidents.report", "Tell the DSL about a concern."
    ),
    NavItem("My reports", "incidents:mine", "incidents.report", "Concerns you reported."),
    NavItem("Concerns", "incidents:dashboard", "incidents.triage", "Triage dashboard."),
    NavItem("Desk", "devices:desk", "devices.desk", "Phones handed in and collected today."),
    NavItem(
        "End of day",
        "devices:end_of_day",
        "devices.desk",
        "The phones still held and the open confiscations, per class.",
    ),
    NavItem(
        "Confiscations",
        "devices:confiscations",
        "devices.confiscations",
        "Confiscated devices and their chain of custody.",
    ),
    NavItem(
        "Exceptions",
        "devices:exceptions",
        "devices.exceptions.request",
        "Requests, declarations and exemptions, and what awaits your decision.",
    ),
    NavItem("Policies", "policies:list", "policies.view", "Policies, review dates and versions."),
    NavItem("Training", "policies:training", "policies.training", "Staff training records."),
    NavItem(
        "Governor reports",
        "reports:governors",
        "reports.governors",
        "Termly online-safety figures for governors; no child is ever named.",
    ),
    NavItem("Admin", "admin:index", "school.admin", "Users, roles, categories and settings."),
    NavItem(
        "To approve",
        "people:role_requests",
        ("people.roles.approve", "people.roles.approve_headteacher"),
        "Safeguarding roles, and sign-in changes for those who hold one, that the IT admin "
        "asked for.",
        count="people.services.role_requests_waiting_count",
    ),
    NavItem(
        "Retention",
        "retention",
        "retention.approve",
        "Records past their retention period, to destroy or keep.",
    ),
]

#: The first entry whose permission the user holds in their school is their home page.
#: (Later features add: the DSL's dashboard, the office desk, the governors' reports.)
LANDING: list[tuple[str, str]] = [
    ("incidents.triage", "incidents:dashboard"),
    ("devices.desk", "devices:desk"),
    ("reports.governors", "reports:governors"),
]


def nav_for(user, school) -> list[NavItem]:
    if school is None:
        return []
    items = []
    for item in NAV:
        if not any(has_perm(user, p, school) for p in item.permissions):
            continue
        waiting = import_string(item.count)(user, school) if item.count else 0
        items.append(replace(item, label=f"{item.label} ({waiting})") if waiting else item)
    return items


def landing_for(user, school) -> str | None:
    if school is None:
        return None
    for permission, url_name in LANDING:
        if has_perm(user, permission, school):
            return reverse(url_name)
    return None
