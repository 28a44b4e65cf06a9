from django.urls import reverse

from devices import services
from devices.models import DeskEntry, StaffException
from tests.access import STAFF, Case, only
from tests.devices import searches
from tests.factories import confiscation

DESK = ("office", "dsl", "deputy_dsl", "head")
#: Who reads the record of searches.
SEARCHES = ("leadership", "dsl", "deputy_dsl", "head")
CONFISCATE = ("teacher", "leadership", "osl", "dsl", "deputy_dsl", "head")


def _entry(w, u):
    handover = services.handover_check_in(learner=w.learner, by=w.users["office"])
    return reverse("devices:desk_undo", args=[DeskEntry.objects.get(handover=handover).pk])


def _handover(w, u):
    handover = services.handover_check_in(learner=w.learner, by=w.users["office"])
    return reverse("devices:end_of_day_explain", args=[handover.pk])


def _confiscation(w, u):
    return confiscation(w.learner, w.users["teacher"])


def _search(w, u):
    """A search by the headteacher (searching needs no authorisation for them), witnessed by a
    teacher (in the demo the headteacher is also the DSL)."""
    search = searches.search(w.learner, w.users["head"], witness=w.users["teacher"])
    return reverse("devices:search", args=[search.pk])


def _authorisation(w, u):
    authorisation = services.search_authorise(
        school=w.school, user=w.users["teacher"], by=w.users["head"]
    )
    return reverse("devices:search_authorisation_revoke", args=[authorisation.pk])


def _staff_exception(kind):
    def build(w, u):
        obj = StaffException.objects.create(
            school=w.school, requested_by=w.users["teacher"], kind=kind, details="My nephew"
        )
        return reverse("devices:exception", args=["staff", obj.pk])

    return build


ACCESS = {
    "devices:searches": Case(
        lambda w, u: reverse("devices:searches"), only(*SEARCHES, outsider=200)
    ),
    # Only the headteacher, and staff the headteacher authorised (none in this world).
    "devices:search_new": Case(
        lambda w, u: reverse("devices:search_new"), only("head", outsider=200)
    ),
    "devices:search": Case(_search, only(*SEARCHES, outsider=404)),
    "devices:search_told": Case(
        lambda w, u: _search(w, u) + "told/",
        only(*SEARCHES, ok=302, outsider=404),
        method="post",
        data={"dsl_informed_at": "2030-01-01T10:00"},
    ),
    "devices:search_authorisations": Case(
        lambda w, u: reverse("devices:search_authorisations"), only("head", outsider=200)
    ),
    "devices:search_authorisation_revoke": Case(
        _authorisation, only("head", ok=302, outsider=404), method="post"
    ),
    "devices:desk": Case(lambda w, u: reverse("devices:desk"), only(*DESK, outsider=200)),
    "devices:desk_search": Case(
        lambda w, u: reverse("devices:desk_search") + "?q=Am", only(*DESK, outsider=200)
    ),
    "devices:desk_roster": Case(
        lambda w, u: reverse("devices:desk_roster"), only(*DESK, outsider=200)
    ),
    "devices:desk_enter": Case(
        lambda w, u: reverse("devices:desk_enter"),
        only(*DESK, ok=302, outsider=302),
        method="post",
        data={"q": "Amelia"},
    ),
    "devices:desk_check_in": Case(
        lambda w, u: reverse("devices:desk_check_in", args=[w.learner.pk]),
        only(*DESK, ok=302, outsider=404),
        method="post",
    ),
    "devices:desk_check_out": Case(
        lambda w, u: reverse("devices:desk_check_out", args=[w.learner.pk]),
        only(*DESK, ok=302, outsider=404),
        method="post",
    ),
    "devices:desk_undo": Case(_entry, only(*DESK, ok=302, outsider=404), method="post"),
    "devices:desk_class": Case(
        lambda w, u: reverse("devices:desk_class"),
        only(*DESK, ok=302, outsider=302),
        method="post",
        data={"class_name": "Oak", "action": "in"},
    ),
    "devices:confiscations": Case(
        lambda w, u: reverse("devices:confiscations"), only(*STAFF, outsider=200)
    ),
    "devices:confiscations_csv": Case(
        lambda w, u: reverse("devices:confiscations_csv"), only(*STAFF, outsider=200)
    ),
    "devices:confiscation_new": Case(
        lambda w, u: reverse("devices:confiscation_new"), only(*CONFISCATE, outsider=200)
    ),
    "devices:confiscation": Case(
        lambda w, u: reverse("devices:confiscation", args=[_confiscation(w, u).pk]),
        only(*STAFF, outsider=404),
    ),
    "devices:confiscation_move": Case(
        lambda w, u: reverse("devices:confiscation_move", args=[_confiscation(w, u).pk]),
        only(*STAFF, ok=302, outsider=404),
        method="post",
        data={"to_state": "secured", "location": "Office safe"},
    ),
    "devices:end_of_day": Case(
        lambda w, u: reverse("devices:end_of_day"), only(*DESK, outsider=200)
    ),
    "devices:end_of_day_print": Case(
        lambda w, u: reverse("devices:end_of_day_print"), only(*DESK, outsider=200)
    ),
    "devices:end_of_day_reconcile": Case(
        lambda w, u: reverse("devices:end_of_day_reconcile"),
        only(*DESK, ok=302, outsider=302),
        method="post",
    ),
    "devices:end_of_day_absent": Case(
        lambda w, u: reverse("devices:end_of_day_absent"),
        only(*DESK, ok=302, outsider=302),
        method="post",
        data={"absent": []},
    ),
    "devices:end_of_day_explain": Case(
        _handover, only(*DESK, ok=302, outsider=404), method="post", data={"note": "Ill"}
    ),
    "devices:exceptions": Case(
        lambda w, u: reverse("devices:exceptions"), only(*STAFF, outsider=200)
    ),
    "devices:exception_new": Case(
        lambda w, u: reverse("devices:exception_new", args=["staff"]), only(*STAFF, outsider=200)
    ),
    "devices:exception#device": Case(
        _staff_exception("device"), only("teacher", "head", outsider=404)
    ),
    "devices:exception#relationship": Case(
        _staff_exception("relationship"), only("teacher", "dsl", "deputy_dsl", outsider=404)
    ),
}
