"""Every incidents URL × persona × kind of concern (learner concern, staff allegation,
allegation about the head, another school's concern). A concern the user may not see is a
404 (its existence is not revealed), like another school's."""

from pathlib import Path

from django.conf import settings
from django.urls import reverse

from incidents.models import Entry, Evidence
from tests.access import STAFF, Case, everyone, only
from tests.factories import head_allegation, learner_concern, report, staff_allegation

TRIAGE = ("osl", "dsl", "deputy_dsl", "head", "chair")

#: kind -> (builder, personas who see it in full, its reporter)
KINDS = {
    # Social media concern about a learner, reported by the teacher: DSLs, head, OSL.
    "learner": (learner_concern, ("dsl", "deputy_dsl", "head", "osl"), "teacher"),
    # Allegation about the leadership member's online conduct, reported by the office:
    # routed to the head (owner) and the DSL (informed) - not the deputy DSL, not the OSL.
    "staff": (staff_allegation, ("head", "dsl"), "office"),
    # Allegation about the headteacher, reported by the teacher: the chair only.
    "head": (head_allegation, ("chair",), "teacher"),
}


def _expect(full, reporter, *, reporter_status, ok=200):
    expect = only(*full, ok=ok, denied=404, outsider=404)
    expect[reporter] = reporter_status
    return expect


def _evidence_url(builder):
    def build(world, user):
        concern = builder(world)
        path = Path(settings.PRIVATE_STORAGE_ROOT) / "evidence" / "access-matrix.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(b"%PDF-1.4\n%%EOF\n")
        evidence = Evidence.objects.create(
            concern=concern,
            file="evidence/access-matrix.pdf",
            original_name="screenshot.pdf",
            content_type="application/pdf",
            size=path.stat().st_size,
            uploaded_by=concern.reporter,
        )
        return reverse("incidents:evidence", args=[evidence.pk])

    return build


ACCESS = {
    "incidents:new": Case(lambda w, u: reverse("incidents:new"), everyone(200)),
    "incidents:mine": Case(lambda w, u: reverse("incidents:mine"), everyone(200)),
    # Learners' names only for those who may look learners up; the outsider searches their
    # own school.
    "incidents:learner_search": Case(
        lambda w, u: reverse("incidents:learner_search") + "?prefix=people-0&people-0-name=Am",
        only(*STAFF, outsider=200),
    ),
    "incidents:concerns_csv": Case(
        lambda w, u: reverse("incidents:concerns_csv"), only(*TRIAGE, outsider=200)
    ),
    "incidents:dashboard": Case(
        lambda w, u: reverse("incidents:dashboard"), only(*TRIAGE, outsider=200)
    ),
    # Everyone's own actions (the outsider's, in their school).
    "incidents:actions": Case(lambda w, u: reverse("incidents:actions"), everyone(200)),
    # Anyone sees their own report (the admin sees nothing else).
    "incidents:detail#own_report": Case(
        lambda w, u: reverse(
            "incidents:detail",
            args=[report(w.other_school if u.username == "outsider" else w.school, u).pk],
        ),
        everyone(200),
    ),
    "incidents:detail#other_school": Case(
        lambda w, u: reverse(
            "incidents:detail", args=[report(w.other_school, w.users["outsider"]).pk]
        ),
        {**everyone(404), "outsider": 200},
    ),
}

for kind, (builder, full, reporter) in KINDS.items():

    def _url(name, builder=builder, *extra):
        return lambda w, u: reverse(name, args=[builder(w).pk, *extra])

    ACCESS[f"incidents:detail#{kind}"] = Case(
        _url("incidents:detail"), _expect(full, reporter, reporter_status=200)
    )
    ACCESS[f"incidents:add#{kind}"] = Case(
        _url("incidents:add"),
        _expect(full, reporter, reporter_status=302, ok=302),
        method="post",
        data={"text": "She told me more at lunch."},
    )
    ACCESS[f"incidents:record#{kind}"] = Case(
        lambda w, u, b=builder: reverse("incidents:record", args=[b(w).pk, "note"]),
        _expect(full, reporter, reporter_status=403, ok=302),
        method="post",
        data={"note-text": "Spoke to class teacher."},
    )
    ACCESS[f"incidents:close#{kind}"] = Case(
        _url("incidents:close"),
        _expect(full, reporter, reporter_status=403, ok=302),
        method="post",
        data={
            "decision": "No further action",
            "reason": "Advice given",
            "outcome": "Resolved",
            "finding": "unfounded",
        },
    )
    # The record and close forms alone (drawn into the page when opened).
    ACCESS[f"incidents:record#{kind}_form"] = Case(
        lambda w, u, b=builder: reverse("incidents:record", args=[b(w).pk, "action"]),
        _expect(full, reporter, reporter_status=403),
    )
    ACCESS[f"incidents:close#{kind}_form"] = Case(
        _url("incidents:close"), _expect(full, reporter, reporter_status=403)
    )
    # Withdraw: the reporter (before triage) and whoever sees it in full.
    ACCESS[f"incidents:withdraw#{kind}"] = Case(
        _url("incidents:withdraw"), _expect(full, reporter, reporter_status=200)
    )
    ACCESS[f"incidents:withdraw#{kind}_post"] = Case(
        _url("incidents:withdraw"),
        _expect(full, reporter, reporter_status=302, ok=302),
        method="post",
        data={"withdrawn_as": "duplicate", "reason": "Sent twice"},
    )
    # Mark an action done: the action is given to the reporter; the owner may mark it too.
    ACCESS[f"incidents:action_done#{kind}"] = Case(
        lambda w, u, b=builder: _action_done_url(b(w)),
        _expect(full, reporter, reporter_status=302, ok=302),
        method="post",
    )
    ACCESS[f"incidents:evidence#{kind}"] = Case(
        _evidence_url(builder), _expect(full, reporter, reporter_status=200)
    )


def _action_done_url(concern):
    action = Entry.objects.create(
        concern=concern, kind="action", text="Follow up", assignee=concern.reporter
    )
    return reverse("incidents:action_done", args=[concern.pk, action.pk])


def _about_the_viewer(world, user):
    """A staff allegation in which the viewer is named as the subject."""
    reporter = world.users["teacher" if user == world.users["office"] else "office"]
    concern = report(world.school, reporter, "staff_online_conduct", people=[(user, "alleged")])
    return reverse("incidents:detail", args=[concern.pk])


# A person never sees a record about themself, whatever their role (DESIGN.md).
ACCESS["incidents:detail#about_the_viewer"] = Case(_about_the_viewer, everyone(404))


# -- The filtering and monitoring review: recorded by safeguarding and leadership, read by
# governors too (it names no child).
FILTERING_RECORD = ("leadership", "osl", "dsl", "deputy_dsl", "head")
FILTERING_VIEW = (*FILTERING_RECORD, "chair", "governor")


def _filtering_review(school):
    from incidents.models import FilteringReview

    return FilteringReview.objects.create(
        school=school,
        reviewed_on="2026-09-10",
        it_provider="Jo Byte, EduTech Ltd",
        filtering_provider="NetSweeper",
        blocked="IWF list, CTIRU list, pornography",
        monitoring="network",
        tested=True,
        next_review_on="2027-09-10",
    )


def _filtering_detail(which):
    def build(world, user):
        school = world.school if which == "ours" else world.other_school
        return reverse("incidents:filtering_detail", args=[_filtering_review(school).pk])

    return build


ACCESS["incidents:filtering"] = Case(
    lambda w, u: reverse("incidents:filtering"), only(*FILTERING_VIEW, outsider=200)
)
ACCESS["incidents:filtering_create"] = Case(
    lambda w, u: reverse("incidents:filtering_create"), only(*FILTERING_RECORD, outsider=200)
)
ACCESS["incidents:filtering_detail"] = Case(
    _filtering_detail("ours"), only(*FILTERING_VIEW, outsider=404)
)
ACCESS["incidents:filtering_detail#other_school"] = Case(
    _filtering_detail("theirs"), {**only(*FILTERING_VIEW, ok=404), "outsider": 200}
)
