"""The importer (people/importer.py) through `manage.py import_learners`: the same code the
import page uses."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from people.importer import (
    column_for,
    import_apply,
    import_plan,
    rows_from_csv,
    upn_check_letter,
    upn_problem,
)
from people.models import Guardian, Guardianship, Learner
from tests.factories import LearnerFactory, SchoolFactory
from tests.people.importing import sims_file, upn

pytestmark = pytest.mark.django_db

HEADER = (
    "upn,legal_first_name,legal_last_name,preferred_name,date_of_birth,year_group,class,"
    "contact1_name,contact1_relationship,contact1_phone,contact1_email,contact1_may_collect,"
    "contact2_name,contact2_relationship,contact2_phone,contact2_email,contact2_may_collect\n"
)
OLIVER, AMELIA, NOAH = upn(1), upn(2), upn(3)
GOOD = HEADER + (
    f"{OLIVER},Oliver,Smith,Ollie,2016-03-04,5,Oak,"
    "Jane Smith,Mother,07700 900001,jane@example.org,yes,"
    "Tom Smith,Father,07700 900002,,no\n"
    f"{AMELIA},Amelia,Smith,,04/07/2018,Year 3,Elm,"
    "Jane Smith,Mother,07700 900001,jane@example.org,yes,,,,,\n"
)


def _import(tmp_path, text, school, *options):
    path = tmp_path / "learners.csv"
    path.write_text(text, encoding="utf-8")
    out, err = StringIO(), StringIO()
    call_command(
        "import_learners", str(path), "--school", school.urn, *options, stdout=out, stderr=err
    )
    return out.getvalue() + err.getvalue()


@pytest.fixture
def school():
    return SchoolFactory(urn="118331")


def test_the_upn_check_letter_is_the_dfe_one():
    # The DfE's worked example (also python-stdnum's): B801200005001.
    assert upn_check_letter("801200005001") == "B"
    assert upn_problem("B801200005001") is None
    assert "wrong check letter" in upn_problem("A801200005001")
    assert "wrong check letter" in upn_problem("B801200005010")  # two digits swapped
    assert "13 characters" in upn_problem("B80120000500")


def test_it_imports_learners_with_their_contacts(tmp_path, school):
    out = _import(tmp_path, GOOD, school)

    assert "2 learners added" in out
    oliver = Learner.objects.get(upn=OLIVER)
    assert (oliver.name, oliver.year_group, oliver.class_name) == ("Ollie Smith", "5", "Oak")
    amelia = Learner.objects.get(upn=AMELIA)
    assert amelia.year_group == "3" and str(amelia.date_of_birth) == "2018-07-04"
    # Siblings share one mother on file.
    assert Guardian.objects.filter(school=school, name="Jane Smith").count() == 1
    tom = Guardianship.objects.get(learner=oliver, guardian__name="Tom Smith")
    assert tom.relationship == "Father" and not tom.may_collect
    assert oliver.history.count() == 1  # the change history knows it was imported


def test_a_second_import_updates_and_never_duplicates(tmp_path, school):
    _import(tmp_path, GOOD, school)
    out = _import(tmp_path, GOOD.replace(",5,Oak,", ",6,Willow,"), school)

    assert "0 learners added, 1 updated" in out
    assert Learner.objects.count() == 2
    assert Guardian.objects.count() == 2
    assert Guardianship.objects.count() == 3
    assert Learner.objects.get(upn=OLIVER).class_name == "Willow"


def test_a_bad_row_is_reported_with_its_line_and_skipped_and_the_others_go_ahead(tmp_path, school):
    bad = GOOD + f"{NOAH},Noah,Jones,,31/02/2016,4,Hazel,,,,,,,,,,\n"
    out = _import(tmp_path, bad, school)

    assert "Skipped: Line 4: date of birth '31/02/2016' is not a date" in out
    assert "2 learners added" in out and "1 rows skipped" in out
    assert not Learner.objects.filter(upn=NOAH).exists()


def test_every_bad_line_is_reported_at_once(tmp_path, school):
    bad = HEADER + (
        f"{OLIVER},Oliver,Smith,,2016-03-04,15,Oak,,,,,,,,,,\n"
        f"{AMELIA},Amelia,Smith,,2016-03-04,5,Oak,,,,,,,,,,\n"
        f"{AMELIA},Amelia,Smith,,2016-03-04,5,Oak,,,,,,,,,,\n"
        "A801200005001,Ava,Khan,,2016-03-04,5,Oak,Sara Khan,,,,,,,,,\n"
    )
    out = _import(tmp_path, bad, school)
    assert "Line 2: year group '15'" in out
    assert f"Line 4: UPN {AMELIA} appears twice (also on line 3)" in out
    assert "Line 5: UPN 'A801200005001' has the wrong check letter" in out
    assert list(Learner.objects.values_list("upn", flat=True)) == [AMELIA]


def test_a_file_with_the_wrong_columns_is_refused(tmp_path, school):
    with pytest.raises(CommandError) as error:
        _import(tmp_path, "Pupil;Name\nA1;B\n", school)
    assert "missing the column(s): upn, legal_first_name" in str(error.value)
    assert Learner.objects.count() == 0


def test_an_unknown_school_is_refused(tmp_path, school):
    path = tmp_path / "learners.csv"
    path.write_text(GOOD)
    with pytest.raises(CommandError, match="No school has the URN 999999"):
        call_command("import_learners", str(path), "--school", "999999")


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("UPN", "upn"),
        ("Legal Forename", "legal_first_name"),  # SIMS, Bromcom
        ("Legal First Name", "legal_first_name"),  # Arbor
        ("Legal Surname", "legal_last_name"),
        ("Preferred Forename", "preferred_name"),
        ("DOB", "date_of_birth"),  # SIMS
        ("Date Of Birth", "date_of_birth"),  # Arbor
        ("Reg Group", "class"),  # SIMS
        ("Registration Form", "class"),  # Arbor
        ("Registration Group", "class"),  # Bromcom
        ("NC Year", "year_group"),  # Bromcom
        ("Contact 1 Telephone", "contact1_phone"),  # SIMS
        ("Guardian 2 Mobile Telephone", "contact2_phone"),  # Arbor
        ("Contact 3 Parental Responsibility", "contact3_parental_responsibility"),
        ("contact4_email", "contact4_email"),  # Roper
        ("Ethnicity", None),  # read past
    ],
)
def test_the_mis_export_headers_are_recognised(header, column):
    assert column_for(header) == column


def test_a_sims_export_is_read_with_priority_and_parental_responsibility(tmp_path, school):
    out = _import(tmp_path, sims_file(4), school)

    assert "(SIMS file): 4 learners added" in out
    learner = Learner.objects.get(upn=upn(1))
    links = list(learner.guardianships.select_related("guardian"))
    assert [(g.priority, g.relationship, g.parental_responsibility) for g in links] == [
        (1, "Mother", True),
        (2, "Father", True),
    ]


def test_a_full_roll_marks_learners_not_in_it_as_left_and_keeps_them(tmp_path, school):
    gone = LearnerFactory(school=school, upn=upn(99), legal_first_name="Gone")
    out = _import(tmp_path, GOOD, school, "--full-roll")

    assert "1 marked as left" in out
    gone.refresh_from_db()
    assert gone.active is False  # kept, with its records: never deleted


def test_a_learner_whose_row_is_skipped_is_not_marked_as_left(tmp_path, school):
    LearnerFactory(school=school, upn=NOAH)
    bad = GOOD + f"{NOAH},Noah,Jones,,31/02/2016,4,Hazel,,,,,,,,,,\n"
    _import(tmp_path, bad, school, "--full-roll")
    assert Learner.objects.get(upn=NOAH).active is True


def test_a_re_import_of_the_same_file_changes_nothing(tmp_path, school):
    _import(tmp_path, sims_file(20), school, "--full-roll")
    out = _import(tmp_path, sims_file(20), school, "--full-roll")
    assert "0 learners added, 0 updated, 0 marked as left, 20 unchanged" in out


def test_may_collect_set_in_roper_survives_a_re_import_from_a_file_without_it(tmp_path, school):
    _import(tmp_path, sims_file(2), school)
    link = Guardianship.objects.filter(guardian__name="Parent0 Mother").first()
    link.may_collect = True
    link.save()
    _import(tmp_path, sims_file(2), school)
    link.refresh_from_db()
    assert link.may_collect is True


def test_a_dry_run_changes_nothing(tmp_path, school):
    out = _import(tmp_path, GOOD, school, "--dry-run")
    assert "2 learners added" in out and "dry run" in out
    assert Learner.objects.count() == 0


def test_rows_are_read_from_a_semicolon_separated_file():
    parsed = rows_from_csv(GOOD.replace(",", ";"))
    assert [row.upn for row in parsed.rows] == [OLIVER, AMELIA]


def test_of_two_headers_for_one_column_the_legal_one_is_read():
    text = (
        "UPN,Forename,Legal Forename,Surname,DOB,Year,Reg Group\n"
        f"{OLIVER},Ollie,Oliver,Smith,04/03/2016,5,5A\n"
    )
    parsed = rows_from_csv(text)
    assert parsed.rows[0].learner["legal_first_name"] == "Oliver"


def test_a_parent_listed_twice_on_one_row_is_one_contact_and_the_import_goes_ahead(school):
    # SIMS exports list one parent as contact 1 and contact 2 at times, the second time
    # perhaps in capitals: the learner is linked to her once, and the other rows go ahead.
    text = GOOD.replace(
        "Tom Smith,Father,07700 900002,,no",
        "JANE SMITH,Mum,07700 900001,JANE@example.org,no",
    )
    parsed = rows_from_csv(text)

    plan = import_apply(school=school, parsed=parsed, full_roll=False)

    assert len(plan.created) == 2 and plan.problems == []
    assert Learner.objects.filter(school=school).count() == 2
    oliver = Learner.objects.get(upn=OLIVER)
    links = list(oliver.guardianships.select_related("guardian"))
    assert [(g.guardian.name, g.relationship, g.may_collect) for g in links] == [
        ("Jane Smith", "Mother", True)  # the first listing, as it is
    ]
    assert Guardian.objects.filter(school=school).count() == 1  # shared with Amelia
    assert plan.warnings == [
        {"line": 2, "reason": "contact 2 (JANE SMITH) is contact 1 again: read once, "
         "as the first listing says"}
    ]  # fmt: skip
    again = import_plan(school=school, parsed=rows_from_csv(text), full_roll=False)
    assert again.no_changes and again.unchanged == 2


def test_a_learner_with_a_new_upn_but_the_name_and_birthday_of_one_on_the_roll_is_flagged(school):
    import_apply(school=school, parsed=rows_from_csv(GOOD), full_roll=False)
    permanent = upn(7)  # Oliver's temporary UPN replaced by his permanent one
    text = GOOD.replace(OLIVER, permanent).replace("Oliver,Smith", "OLIVER,smith")

    plan = import_plan(school=school, parsed=rows_from_csv(text), full_roll=False)

    assert [item["upn"] for item in plan.created] == [permanent]
    [warning] = plan.warnings
    reason = warning["reason"]
    assert warning["line"] == 2
    assert f"Oliver Smith, born 4 Mar 2016, is already in Roper with UPN {OLIVER}" in reason
    assert f"change their UPN in Admin to {permanent}" in reason
    # Applying adds the learner as the file says (two children may share a name and a
    # birthday) and keeps the warning in what was done.
    done = import_apply(school=school, parsed=rows_from_csv(text), full_roll=False)
    assert len(done.created) == 1 and done.warnings == plan.warnings


def test_a_new_learner_who_shares_only_a_name_with_one_on_the_roll_is_not_flagged(school):
    import_apply(school=school, parsed=rows_from_csv(GOOD), full_roll=False)
    namesake = GOOD.replace(OLIVER, upn(7)).replace("2016-03-04", "2016-03-05")

    plan = import_plan(school=school, parsed=rows_from_csv(namesake), full_roll=False)

    assert len(plan.created) == 1 and plan.warnings == []


def test_the_plan_reads_the_roll_in_the_same_queries_however_many_rows(
    school, django_assert_num_queries
):
    import_apply(school=school, parsed=rows_from_csv(sims_file(30)), full_roll=False)
    few = rows_from_csv(sims_file(2, start=100))
    many = rows_from_csv(sims_file(60, start=100))
    # The roll, its guardianships and their guardians: one query each, for any file.
    with django_assert_num_queries(3):
        import_plan(school=school, parsed=few, full_roll=True)
    with django_assert_num_queries(3):
        import_plan(school=school, parsed=many, full_roll=True)
