from django.urls import reverse

from tests.access import STAFF, Case, only

ACCESS = {
    "people:learners": Case(lambda w, u: reverse("people:learners"), only(*STAFF, outsider=200)),
    "people:learner": Case(
        lambda w, u: reverse("people:learner", args=[w.learner.pk]), only(*STAFF, outsider=404)
    ),
    "people:learner#other_school": Case(
        lambda w, u: reverse("people:learner", args=[w.other_learner.pk]),
        # Staff of school A get 404 (its existence is not revealed); others no learners at all.
        {**only(*STAFF, ok=404, denied=403), "outsider": 200},
    ),
}


def _role_request(role, persona, kind="role"):
    def build(world, user):
        from people.models import RoleRequest

        request = RoleRequest.objects.create(
            school=world.school,
            user=world.users[persona],
            kind=kind,
            role=role,
            requested_by=world.users["admin"],
        )
        return reverse("people:role_request_decide", args=[request.pk])

    return build


ACCESS.update(
    {
        # /people/role-requests/: the headteacher approves safeguarding roles, and sign-in
        # changes for people who hold one; the chair approves the headteacher's.
        "people:role_requests": Case(
            lambda w, u: reverse("people:role_requests"), only("head", "chair", outsider=200)
        ),
        "people:role_request_decide": Case(
            _role_request("dsl", "teacher"),
            only("head", ok=302, outsider=404),
            method="post",
            data={"decision": "approve"},
        ),
        "people:role_request_decide#headteacher": Case(
            _role_request("headteacher", "deputy_dsl"),
            only("chair", ok=302, outsider=404),
            method="post",
            data={"decision": "approve"},
        ),
        "people:role_request_decide#heads_two_factor": Case(
            _role_request("headteacher", "head", kind="two_factor"),
            only("chair", ok=302, outsider=404),
            method="post",
            data={"decision": "approve"},
        ),
    }
)


def _import_run(other_school=False):
    def build(world, user):
        from people.models import ImportRun

        school = world.other_school if other_school else world.school
        run = ImportRun.objects.create(school=school, source="SIMS", filename="roll.csv")
        return run

    return build


def _run_url(name, other_school=False):
    return lambda w, u: reverse(name, args=[_import_run(other_school)(w, u).pk])


ACCESS.update(
    {
        # /people/import/: the school's admin imports learners and contacts from the MIS;
        # nobody else sees the page, a file or a preview (another school's: 404).
        "people:import": Case(lambda w, u: reverse("people:import"), only("admin")),
        "people:import_run": Case(_run_url("people:import_run"), only("admin")),
        "people:import_run#other_school": Case(
            _run_url("people:import_run", other_school=True), only("admin", ok=404)
        ),
        "people:import_progress": Case(_run_url("people:import_progress"), only("admin")),
        "people:import_progress#other_school": Case(
            _run_url("people:import_progress", other_school=True), only("admin", ok=404)
        ),
        "people:import_apply": Case(
            _run_url("people:import_apply"), only("admin", ok=302), method="post"
        ),
        "people:import_apply#other_school": Case(
            _run_url("people:import_apply", other_school=True),
            only("admin", ok=404),
            method="post",
        ),
        "people:import_discard": Case(
            _run_url("people:import_discard"), only("admin", ok=302), method="post"
        ),
        "people:import_discard#other_school": Case(
            _run_url("people:import_discard", other_school=True),
            only("admin", ok=404),
            method="post",
        ),
    }
)
