import pytest

from incidents.visibility import can_see, can_triage, concerns_triaged_by, concerns_visible_to
from tests.factories import (
    head_allegation,
    learner_concern,
    report,
    staff_allegation,
)


def _who_sees(world, concern, check=can_see):
    return {name for name, user in world.users.items() if check(user, concern)}


def test_a_learner_concern_is_seen_by_safeguarding_roles_and_its_reporter(world):
    concern = learner_concern(world)
    assert _who_sees(world, concern) == {"dsl", "deputy_dsl", "head", "osl", "teacher"}
    assert _who_sees(world, concern, can_triage) == {"dsl", "deputy_dsl", "head", "osl"}


def test_the_osl_does_not_see_a_concern_that_is_not_about_online_safety(world):
    concern = report(world.school, world.users["teacher"], "immediate_danger")
    assert "osl" not in _who_sees(world, concern)
    assert {"dsl", "deputy_dsl", "head"} <= _who_sees(world, concern)


def test_a_staff_allegation_is_seen_only_by_those_it_was_routed_to(world):
    concern = staff_allegation(world)  # about the leadership member, reported by the office
    assert _who_sees(world, concern) == {"head", "dsl", "office"}


def test_an_allegation_about_the_head_is_seen_by_the_chair_only(world):
    concern = head_allegation(world)
    assert _who_sees(world, concern) == {"chair", "teacher"}


def test_the_reporter_who_is_named_as_a_subject_does_not_see_it(world):
    teacher = world.users["teacher"]
    concern = report(world.school, teacher, "staff_breach", people=[(teacher, "alleged")])
    assert not can_see(teacher, concern)


def test_the_admin_sees_only_their_own_reports(world):
    admin = world.users["admin"]
    learner_concern(world)
    own = report(world.school, admin, "visitor_breach", people=[("A. Visitor", "alleged")])
    assert list(concerns_visible_to(admin)) == [own]


def test_another_schools_dsl_sees_nothing_of_this_school(world):
    concern = learner_concern(world)
    assert not can_see(world.users["outsider"], concern)


@pytest.mark.postgres
def test_the_dsls_routed_staff_allegations_are_looked_up_not_hashed(world):
    """Every concern is routed to the DSL: read as a hash of every concern ever routed to them
    (in each query of the dashboard), "routed to me" grew with the school's history. It is
    looked up for the staff allegations alone (issue 17)."""
    from django.db import connection

    from incidents.models import Concern
    from tests.incidents.bulk import bulk_concerns

    dsl = world.users["dsl"]
    # A school with years of concerns, each routed to the DSL, and a staff allegation.
    bulk_concerns(world.school, world.users["teacher"], world.learner, 3000)
    routed = Concern.routed_to.through
    routed.objects.bulk_create(
        routed(concern_id=pk, user_id=dsl.pk) for pk in Concern.objects.values_list("pk", flat=True)
    )
    staff_allegation(world)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_concern, incidents_concern_routed_to")
        sql, params = (
            concerns_triaged_by(dsl).filter(status=Concern.Status.NEW).query.sql_with_params()
        )
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "hashed SubPlan" not in plan
    assert concerns_triaged_by(dsl).count() == Concern.objects.count()
