"""The roles a person can hold in a school (several at once) and what each may do.

This module is the one table of who-may-do-what. Views never check a role by name: they ask
for a permission through `roper.permissions`, which reads the table below.
"""

from django.db import models


class Role(models.TextChoices):
    OFFICE = "office", "Office"
    STAFF = "staff", "Staff"
    LEADERSHIP = "leadership", "Leadership team"
    OSL = "osl", "Online Safety Lead"
    DSL = "dsl", "Designated Safeguarding Lead"
    DEPUTY_DSL = "deputy_dsl", "Deputy DSL"
    HEADTEACHER = "headteacher", "Headteacher"
    CHAIR = "chair_of_governors", "Chair of governors"
    GOVERNOR = "governor", "Governor"
    ADMIN = "admin", "Admin"


R = Role
EVERYONE = frozenset(Role.values)
#: People who work in the school (governors are not staff; admin is IT support).
STAFF = frozenset({R.OFFICE, R.STAFF, R.LEADERSHIP, R.OSL, R.DSL, R.DEPUTY_DSL, R.HEADTEACHER})
SAFEGUARDING = frozenset({R.OSL, R.DSL, R.DEPUTY_DSL, R.HEADTEACHER})
GOVERNANCE = frozenset({R.GOVERNOR, R.CHAIR})
#: Roles that read safeguarding records: shorter idle timeout.
READS_SAFEGUARDING = SAFEGUARDING | {R.CHAIR}

#: permission name -> the roles that hold it (DESIGN.md, "Roles and what they may see").
PERMISSIONS: dict[str, frozenset[str]] = {
    # Everyone who belongs to the school.
    "school.member": EVERYONE,
    "policies.view": EVERYONE,
    "incidents.report": EVERYONE,
    # People and learners.
    "learners.view": STAFF,
    "learners.chronology": SAFEGUARDING,
    # A subject access request: everything held about a learner, for the DSL to review and
    # redact before release (reports/subject_access.py).
    "learners.subject_access": frozenset({R.DSL, R.DEPUTY_DSL, R.HEADTEACHER}),
    # The same for a member of staff (reports/subject_access.py, staff_file).
    "staff.subject_access": frozenset({R.DSL, R.DEPUTY_DSL, R.HEADTEACHER}),
    # A child's child-protection file moving with the child (transfers/, KCSIE): the DSL and
    # deputy send it, bring one in, and accept one sent within the trust; the head may read
    # the transfers (who sent what, when, and whether it was received).
    "transfers.send": frozenset({R.DSL, R.DEPUTY_DSL}),
    "transfers.view": frozenset({R.DSL, R.DEPUTY_DSL, R.HEADTEACHER}),
    "school.admin": frozenset({R.ADMIN}),
    # Importing learners, parents/carers from the MIS (a file or a sync): the admin, who
    # manages the school's people in /admin/ already. Nobody else sees the files or previews.
    "people.import": frozenset({R.ADMIN}),
    # Approving a safeguarding role the admin asked for (people/models.py, RoleRequest): the
    # headteacher approves every one but the headteacher's own role, which the chair approves.
    "people.roles.approve": frozenset({R.HEADTEACHER}),
    "people.roles.approve_headteacher": frozenset({R.CHAIR}),
    # Approving the destruction of records past their retention period, and legal holds.
    "retention.approve": frozenset({R.DSL, R.DEPUTY_DSL}),
    # Devices.
    "devices.desk": frozenset({R.OFFICE, R.DSL, R.DEPUTY_DSL, R.HEADTEACHER}),
    "devices.confiscate": STAFF - {R.OFFICE},
    "devices.confiscations": STAFF,
    "devices.release": frozenset({R.OFFICE, R.DSL, R.DEPUTY_DSL, R.HEADTEACHER}),
    "devices.override_release": frozenset({R.HEADTEACHER}),
    "devices.exceptions.request": STAFF,
    "devices.exceptions.approve": frozenset({R.HEADTEACHER}),
    "devices.relationships.decide": frozenset({R.DSL, R.DEPUTY_DSL}),
    # Curriculum use of learners' devices: the leadership team, and the headteacher (§5.3).
    "devices.curriculum.approve": frozenset({R.LEADERSHIP, R.HEADTEACHER}),
    # Searching a pupil for a device (DfE, "Searching, screening and confiscation", 2022): the
    # power is the headteacher's and that of the staff they authorise, one by one. Those who
    # may confiscate (§5.3) may be authorised; whether they are is the headteacher's register
    # (devices.SearchAuthorisation), read by devices.services.search_may_record.
    "devices.search": STAFF - {R.OFFICE},
    "devices.search.authorise": frozenset({R.HEADTEACHER}),
    # Reading the record of searches: the DSL (told of searches), the head and leadership.
    "devices.searches": frozenset({R.DSL, R.DEPUTY_DSL, R.HEADTEACHER, R.LEADERSHIP}),
    # Conduct: breaches of the phone policy (issue 18). Whoever may confiscate records one
    # (the office does not confiscate, DESIGN.md). The list and search are for those who act on
    # patterns of breaches: the leadership team and head (sanctions, parents' meetings) and
    # the DSL, deputy and OSL (a breach is the "learner device misuse" category they own or
    # are told of). The ladder is the head's and the leadership team's to set.
    "conduct.record": STAFF - {R.OFFICE},
    "conduct.breaches": SAFEGUARDING | {R.LEADERSHIP},
    "conduct.ladder": frozenset({R.LEADERSHIP, R.HEADTEACHER}),
    # Incidents (which concerns a person may see is decided per concern by incidents/).
    "incidents.triage": SAFEGUARDING | {R.CHAIR},
    # The annual filtering and monitoring review (DfE standards): the DSL leads it with a
    # senior leader; governors (strategic responsibility) read it. It names no child.
    "incidents.filtering.record": SAFEGUARDING | {R.LEADERSHIP},
    "incidents.filtering.view": SAFEGUARDING | {R.LEADERSHIP} | GOVERNANCE,
    # Policies.
    "policies.manage": frozenset({R.HEADTEACHER, R.DSL, R.DEPUTY_DSL}),
    "policies.acknowledge": STAFF,
    # Recording that a policy was sent to families, and publishing it for them.
    "policies.families": frozenset({R.HEADTEACHER, R.DSL, R.DEPUTY_DSL, R.LEADERSHIP, R.OFFICE}),
    # Names on the acknowledgement page (governors and others see the percentage only).
    "policies.acknowledgements": frozenset({R.HEADTEACHER, R.DSL, R.DEPUTY_DSL, R.LEADERSHIP}),
    # Training sessions and everyone's training record (§6.2).
    "policies.training": SAFEGUARDING | {R.LEADERSHIP},
    # Reports.
    "reports.governors": SAFEGUARDING | GOVERNANCE,
    # The named governor's commentary on a term's report (governors and the chair).
    "reports.commentary": GOVERNANCE,
    # The phone-free school evidence pack (issue 18): governors and the OSL read it anonymised
    # (counts, small ones suppressed); those who act on breaches and exemptions (the head, the
    # leadership team who set the ladder, the DSL and deputy) read it in full, named.
    "reports.evidence": SAFEGUARDING | GOVERNANCE | {R.LEADERSHIP},
    "reports.evidence_full": frozenset({R.HEADTEACHER, R.LEADERSHIP, R.DSL, R.DEPUTY_DSL}),
}


def roles_holding(permission: str) -> frozenset[str]:
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise ValueError(f"Unknown permission {permission!r}") from None
