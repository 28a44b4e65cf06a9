from datetime import date

import pytest

from reports.models import ReportSettings
from reports.report import school_report
from reports.suppression import count_text, suppressed_cells
from tests.factories import concern, london, school_with_terms, term, terms_of


def test_small_counts_are_hidden_and_zero_is_not():
    cells = {"a": 0, "b": 1, "c": 2, "d": 3}
    assert suppressed_cells(cells, [], threshold=2) == {"b", "c"}


def test_one_hidden_count_in_a_group_hides_the_next_smallest_so_the_total_cannot_reveal_it():
    cells = {"a": 1, "b": 5, "c": 9, "total": 15}
    hidden = suppressed_cells(cells, [(["a", "b", "c"], "total")], threshold=2)
    assert hidden == {"a", "b"}


def test_with_no_other_count_to_hide_the_total_is_hidden():
    cells = {"a": 1, "b": 0, "total": 1}
    assert "total" in suppressed_cells(cells, [(["a", "b"], "total")], threshold=2)


def test_small_counts_that_can_only_add_up_one_way_hide_the_total():
    cells = {"a": 2, "b": 2, "c": 0, "total": 4}
    assert "total" in suppressed_cells(cells, [(["a", "b", "c"], "total")], threshold=2)


def test_groups_that_share_cells_are_applied_until_nothing_changes():
    # Two schools (columns) and the trust total (row): hiding a cell in one group makes
    # another group hide one too.
    cells = {
        ("A", "x"): 1,
        ("A", "y"): 6,
        ("A", "t"): 7,
        ("B", "x"): 4,
        ("B", "y"): 8,
        ("B", "t"): 12,
        ("T", "x"): 5,
        ("T", "y"): 14,
        ("T", "t"): 19,
    }
    groups = [
        ([("A", "x"), ("A", "y")], ("A", "t")),
        ([("B", "x"), ("B", "y")], ("B", "t")),
        ([("T", "x"), ("T", "y")], ("T", "t")),
        ([("A", "x"), ("B", "x")], ("T", "x")),
        ([("A", "y"), ("B", "y")], ("T", "y")),
        ([("A", "t"), ("B", "t")], ("T", "t")),
    ]
    hidden = suppressed_cells(cells, groups, threshold=2)
    assert ("A", "x") in hidden
    # Every group with a hidden cell hides at least two, or its total.
    for members, total in groups:
        secret = [m for m in members if m in hidden]
        assert len(secret) != 1 or total in hidden


def test_how_a_count_is_shown():
    assert count_text(0, False, 2) == "0"
    assert count_text(2, True, 2) == "fewer than 3"
    assert count_text(9, True, 2) == "not shown"
    assert count_text(3, True, 3) == "fewer than 4"


def _rows(report):
    return {
        (table.title, row.label): row.cells[0]
        for section in report.sections
        for table in section.tables
        for row in table.rows
    }


@pytest.mark.django_db
def test_a_category_with_one_concern_shows_fewer_than_3_and_the_total_does_not_reveal_it():
    school = school_with_terms()
    concern(school, "social_media", london(2026, 5, 5))
    for _ in range(5):
        concern(school, "device_misuse", london(2026, 5, 6))
    report = school_report(
        school=school,
        term=term(school, "summer", 2026),
        terms=terms_of(school),
        today=date(2026, 11, 24),
    )
    rows = _rows(report)
    social = next(v for (t, label), v in rows.items() if label.startswith("Learner social"))
    misuse = next(v for (t, label), v in rows.items() if label.startswith("Learner device"))
    assert social == "fewer than 3"
    assert misuse == "not shown"
    assert rows[("Concerns", "Concerns reported")] == "6"


@pytest.mark.django_db
def test_the_threshold_is_the_schools_setting():
    school = school_with_terms()
    ReportSettings.objects.create(school=school, suppression_threshold=4)
    for _ in range(4):
        concern(school, "social_media", london(2026, 5, 5))
    for _ in range(6):
        concern(school, "device_misuse", london(2026, 5, 6))
    report = school_report(
        school=school,
        term=term(school, "summer", 2026),
        terms=terms_of(school),
        today=date(2026, 11, 24),
    )
    rows = _rows(report)
    social = next(v for (t, label), v in rows.items() if label.startswith("Learner social"))
    assert social == "fewer than 5"
    assert rows[("Concerns", "Concerns reported")] == "10"


def test_small_counts_that_add_up_one_way_hide_another_count_and_each_group_gets_its_own():
    # Categories 1, 1, 1, 1 and 4 with a total of 8: four small counts adding up to 4 are all
    # 1s, so the 4 is hidden too; routes 7 and 1: the 1 needs a companion of its own.
    cells = {"c1": 1, "c2": 1, "c3": 1, "c4": 1, "c5": 4, "r1": 7, "r2": 1, "t": 8}
    groups = [(["c1", "c2", "c3", "c4", "c5"], "t"), (["r1", "r2"], "t")]
    hidden = suppressed_cells(cells, groups, threshold=2)
    assert {"c5", "r1", "r2"} <= hidden
    assert "t" not in hidden


def test_a_lone_hidden_count_gets_a_companion_even_when_the_total_is_hidden():
    # Categories 2 + 2 hide the total 4; routes 3 and 1 would still tell 3 + 1.
    cells = {"a": 2, "b": 2, "r1": 3, "r2": 1, "t": 4}
    hidden = suppressed_cells(cells, [(["a", "b"], "t"), (["r1", "r2"], "t")], threshold=2)
    assert {"a", "b", "t", "r1", "r2"} <= hidden


def test_a_not_shown_count_cannot_pin_a_small_one():
    # 11 = 3 + 4 + 3 + 1: hiding the 1 and the 3 next to it would leave "not shown" (≥ 3)
    # and "fewer than 3" adding up to 4: only 3 + 1. More is hidden until it is ambiguous.
    cells = {"a": 3, "b": 1, "c": 3, "d": 4, "t": 11}
    hidden = suppressed_cells(cells, [(["a", "b", "c", "d"], "t")], threshold=2)
    assert "b" in hidden
    secret = [cells[k] for k in hidden if k != "t"]
    if "t" not in hidden:
        from reports.suppression import _pinned

        assert not _pinned(secret, 2, sum(secret))
