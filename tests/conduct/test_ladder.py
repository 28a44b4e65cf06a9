"""The sanctions ladder: the step of a learner's Nth breach in a term, the same for every
child, changed only with a reason; and the consistency figures for the evidence pack."""

from datetime import date

import pytest
import time_machine

from conduct import services
from conduct.models import Breach, SanctionStep
from people.models import Term
from roper.errors import Refused
from tests.factories import TERMS, LearnerFactory, london

AUTUMN_DAY = london(2026, 11, 25, 11, 0)


@pytest.fixture
def school(world):
    for season, start, end in TERMS:
        Term.objects.create(school=world.school, season=season, starts_on=start, ends_on=end)
    return world.school


def breach(learner, by, at, **kwargs):
    return services.breach_record(
        learner=learner, by=by, kind="used", at=at, period="lesson", place="classroom", **kwargs
    )


def test_the_step_follows_the_learners_breaches_this_term_only(school, world, teacher):
    with time_machine.travel(AUTUMN_DAY):
        # Two breaches last term (summer 2026) do not count in the autumn term.
        breach(world.learner, teacher, london(2026, 6, 10))
        breach(world.learner, teacher, london(2026, 6, 11))
        first = breach(world.learner, teacher, london(2026, 11, 2, 9, 0))
        second = breach(world.learner, teacher, london(2026, 11, 20, 9, 0))
        third = breach(world.learner, teacher, london(2026, 11, 24, 9, 0))
        fourth = breach(world.learner, teacher, london(2026, 11, 25, 10, 0))
    assert [b.number_in_term for b in (first, second, third, fourth)] == [1, 2, 3, 4]
    assert [b.applied_position for b in (first, second, third, fourth)] == [1, 2, 3, 3]
    assert first.consequence.startswith("Phone kept at the office and returned")
    assert not first.involves_parents and second.involves_parents
    assert fourth.consequence == "A meeting with the parents or carers"  # beyond the last: last
    # The default ladder was saved with the school's first breach.
    assert SanctionStep.objects.filter(school=school).count() == 3


def test_the_same_breach_number_gets_the_same_step_for_every_child(school, world, teacher, head):
    other = LearnerFactory(school=school)
    with time_machine.travel(AUTUMN_DAY):
        a = [breach(world.learner, teacher, london(2026, 11, d)) for d in (2, 3)]
        b = [breach(other, head, london(2026, 11, d)) for d in (9, 10)]
    assert [x.consequence for x in a] == [x.consequence for x in b]


def test_another_step_needs_a_reason_which_is_kept(school, world, teacher):
    with time_machine.travel(AUTUMN_DAY):
        with pytest.raises(Refused, match="Give the reason"):
            breach(world.learner, teacher, london(2026, 11, 2), applied_position=2)
        assert not Breach.objects.exists()
        changed = breach(
            world.learner,
            teacher,
            london(2026, 11, 2),
            applied_position=2,
            override_reason="Filmed another child in the toilets",
        )
    assert changed.overridden
    assert (changed.ladder_position, changed.applied_position) == (1, 2)
    assert changed.involves_parents  # the step applied decides who is told
    assert changed.override_reason == "Filmed another child in the toilets"


def test_a_step_shown_that_another_breach_has_moved_on_is_refused(school, world, teacher):
    with time_machine.travel(AUTUMN_DAY):
        shown = services.breach_next_step(learner=world.learner, at=london(2026, 11, 25, 9))
        breach(world.learner, teacher, london(2026, 11, 25, 8))  # recorded meanwhile
        with pytest.raises(Refused, match="recorded meanwhile"):
            breach(
                world.learner,
                teacher,
                london(2026, 11, 25, 9),
                expected_position=shown.step.position,
            )
    assert Breach.objects.count() == 1


def test_consistency_counts_the_ladders_steps_and_the_changed_ones(school, world, teacher):
    other = LearnerFactory(school=school)
    with time_machine.travel(AUTUMN_DAY):
        breach(world.learner, teacher, london(2026, 11, 2))
        breach(world.learner, teacher, london(2026, 11, 3))
        breach(other, teacher, london(2026, 11, 4), applied_position=3, override_reason="Repeat")
        breach(world.learner, teacher, london(2026, 6, 4))  # last term: not counted
    result = services.ladder_consistency(
        school=school, start=date(2026, 9, 2), end=date(2026, 12, 18)
    )
    assert (result.total, result.on_ladder, result.overridden) == (3, 2, 1)
    assert result.by_number == [(1, 1, 1), (2, 1, 0)]
    autumn = Term.objects.get(school=school, season="autumn", starts_on__year=2026)
    assert services.ladder_consistency(school=school, term=autumn) == result


def test_the_head_edits_the_ladder_and_it_applies_from_the_next_breach(
    school, world, teacher, head, as_user
):
    with time_machine.travel(AUTUMN_DAY):
        before = breach(world.learner, teacher, london(2026, 11, 2))
        client = as_user(head)
        page = client.get("/conduct/ladder/")
        assert "Phone kept at the office and returned" in page.text
        response = client.post(
            "/conduct/ladder/",
            {
                "form-TOTAL_FORMS": "4",
                "form-INITIAL_FORMS": "3",
                "form-0-consequence": "A warning",
                "form-1-consequence": "Detention; parents told",
                "form-1-involves_parents": "on",
                "form-2-consequence": "",  # removed
                "form-3-consequence": "Meeting with the head and parents",
                "form-3-involves_parents": "on",
            },
        )
        assert response.status_code == 302
        after = breach(world.learner, teacher, london(2026, 11, 3))
    steps = list(SanctionStep.objects.filter(school=school).values_list("position", "consequence"))
    assert steps == [
        (1, "A warning"),
        (2, "Detention; parents told"),
        (3, "Meeting with the head and parents"),
    ]
    before.refresh_from_db()
    assert before.consequence.startswith("Phone kept at the office")  # kept as it was given
    assert after.consequence == "Detention; parents told"


def test_a_teacher_may_not_edit_the_ladder(world, teacher, as_user):
    assert as_user(teacher).post("/conduct/ladder/", {}).status_code == 403
