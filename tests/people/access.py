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
