from datetime import date

from django.urls import reverse

from people.models import Term
from tests.access import SAFEGUARDING, Case, only

READERS = ("osl", "dsl", "deputy_dsl", "head", "chair", "governor")
EVIDENCE = (*READERS, "leadership")


def _term(school):
    term, _ = Term.objects.get_or_create(
        school=school,
        starts_on=date(2026, 4, 13),
        defaults={"season": "summer", "ends_on": date(2026, 7, 21)},
    )
    return term


def _report(w, u):
    return f"{reverse('reports:governors')}?term={_term(w.school).pk}&format=csv"


def _other_schools_report(w, u):
    return f"{reverse('reports:governors')}?term={_term(w.other_school).pk}"


def _commentary(w, u):
    return reverse("reports:commentary", args=[_term(w.school).pk])


ACCESS = {
    # The report of the school one is working in (the outsider's is school B, which they
    # read as its headteacher).
    "reports:governors": Case(
        lambda w, u: reverse("reports:governors"), only(*READERS, outsider=200)
    ),
    "reports:governors#term_csv": Case(_report, only(*READERS, outsider=404)),
    # Another school's term: not found for everyone of school A.
    # Another school's report: not found for those who read reports; refused (for any term,
    # so nothing is revealed) for those who read none anywhere.
    "reports:governors#other_school": Case(
        _other_schools_report,
        {
            **only("admin", "leadership", "office", "teacher", ok=403, denied=404),
            "outsider": 200,
        },
    ),
    # Only governors and the chair write the commentary.
    "reports:commentary": Case(
        _commentary,
        only("chair", "governor", ok=302, outsider=403),
        method="post",
        data={"text": "Good term."},
    ),
    # A learner's chronology (under learners/): the safeguarding roles of their school.
    "reports:chronology": Case(
        lambda w, u: reverse("reports:chronology", args=[w.learner.pk]),
        only(*SAFEGUARDING, outsider=404),
    ),
    "reports:chronology#other_school": Case(
        lambda w, u: reverse("reports:chronology", args=[w.other_learner.pk]),
        {**only(*SAFEGUARDING, ok=404, denied=403), "outsider": 200},
    ),
    # A subject access request (under learners/): the DSL, deputy and headteacher.
    "reports:subject_access": Case(
        lambda w, u: reverse("reports:subject_access", args=[w.learner.pk]),
        only("dsl", "deputy_dsl", "head", outsider=404),
    ),
    "reports:subject_access#other_school": Case(
        lambda w, u: reverse("reports:subject_access", args=[w.other_learner.pk]),
        {**only("dsl", "deputy_dsl", "head", ok=404, denied=403), "outsider": 200},
    ),
    # A member of staff's subject access request: the same roles, for members of their school.
    "reports:staff_subject_access_list": Case(
        lambda w, u: reverse("reports:staff_subject_access_list"),
        only("dsl", "deputy_dsl", "head", outsider=200),
    ),
    "reports:staff_subject_access": Case(
        lambda w, u: reverse("reports:staff_subject_access", args=[w.users["teacher"].pk]),
        only("dsl", "deputy_dsl", "head", outsider=404),
    ),
    # The trust view needs a trust-level role; no persona holds one (see test_trust.py).
    "reports:trust": Case(lambda w, u: reverse("reports:trust"), only()),
    # The evidence pack (issue 18): the report's readers and the leadership team.
    "reports:evidence": Case(
        lambda w, u: reverse("reports:evidence"), only(*EVIDENCE, outsider=200)
    ),
    "reports:evidence#term_csv": Case(
        lambda w, u: f"{reverse('reports:evidence')}?term={_term(w.school).pk}&format=csv",
        only(*EVIDENCE, outsider=404),
    ),
    "reports:evidence#other_school": Case(
        lambda w, u: f"{reverse('reports:evidence')}?term={_term(w.other_school).pk}",
        {**only("admin", "office", "teacher", ok=403, denied=404), "outsider": 200},
    ),
    # Trust-level readers only (tests/reports/test_evidence.py); no persona is one.
    "reports:evidence_trust": Case(lambda w, u: reverse("reports:evidence_trust"), only()),
    "reports:evidence_trust#pdf": Case(
        lambda w, u: f"{reverse('reports:evidence_trust')}?format=pdf", only()
    ),
    "reports:evidence_trust#csv": Case(
        lambda w, u: f"{reverse('reports:evidence_trust')}?format=csv", only()
    ),
}
