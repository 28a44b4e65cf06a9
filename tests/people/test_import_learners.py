from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from people.models import Guardian, Guardianship, Learner
from tests.factories import SchoolFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "upn,legal_first_name,legal_last_name,preferred_name,date_of_birth,year_group,class,"
    "contact1_name,contact1_relationship,contact1_phone,contact1_email,contact1_may_collect,"
    "contact2_name,contact2_relationship,contact2_phone,contact2_email,contact2_may_collect\n"
)
GOOD = HEADER + (
    "A123456789012,Oliver,Smith,Ollie,2016-03-04,5,Oak,"
    "Jane Smith,Mother,07700 900001,jane@example.org,yes,"
    "Tom Smith,Father,07700 900002,,no\n"
    "B123456789012,Amelia,Smith,,04/07/2018,Year 3,Elm,"
    "Jane Smith,Mother,07700 900001,jane@example.org,yes,,,,,\n"
)


def _import(tmp_path, text, school):
    path = tmp_path / "learners.csv"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("import_learners", str(path), "--school", school.urn, stdout=out)
    return out.getvalue()


@pytest.fixture
def school():
    return SchoolFactory(urn="118331")


def test_it_imports_learners_with_their_contacts(tmp_path, school):
    out = _import(tmp_path, GOOD, school)

    assert "2 learners added" in out
    oliver = Learner.objects.get(upn="A123456789012")
    assert (oliver.name, oliver.year_group, oliver.class_name) == ("Ollie Smith", "5", "Oak")
    amelia = Learner.objects.get(upn="B123456789012")
    assert amelia.year_group == "3" and str(amelia.date_of_birth) == "2018-07-04"
    # Siblings share one mother on file.
    assert Guardian.objects.filter(school=school, name="Jane Smith").count() == 1
    tom = Guardianship.objects.get(learner=oliver, guardian__name="Tom Smith")
    assert tom.relationship == "Father" and not tom.may_collect


def test_a_second_import_updates_and_never_duplicates(tmp_path, school):
    _import(tmp_path, GOOD, school)
    out = _import(tmp_path, GOOD.replace(",5,Oak,", ",6,Willow,"), school)

    assert "0 learners added, 1 updated" in out
    assert Learner.objects.count() == 2
    assert Guardian.objects.count() == 2
    assert Guardianship.objects.count() == 3
    assert Learner.objects.get(upn="A123456789012").class_name == "Willow"


def test_a_file_with_one_bad_row_saves_nothing_and_names_the_line(tmp_path, school):
    bad = GOOD + "C123456789012,Noah,Jones,,31/02/2016,4,Hazel,,,,,,,,,,\n"
    with pytest.raises(CommandError) as error:
        _import(tmp_path, bad, school)

    assert "Line 4:" in str(error.value)
    assert "31/02/2016" in str(error.value)
    assert Learner.objects.count() == 0
    assert Guardian.objects.count() == 0


def test_every_bad_line_is_reported_at_once(tmp_path, school):
    bad = HEADER + (
        "A123456789012,Oliver,Smith,,2016-03-04,15,Oak,,,,,,,,,,\n"
        "A123456789012,Oliver,Smith,,2016-03-04,5,Oak,,,,,,,,,,\n"
        "bad-upn,Ava,Khan,,2016-03-04,5,Oak,Sara Khan,,,,,,,,,\n"
    )
    with pytest.raises(CommandError) as error:
        _import(tmp_path, bad, school)
    message = str(error.value)
    assert "Line 2: year group '15'" in message
    assert "Line 4: UPN 'bad-upn'" in message
    assert Learner.objects.count() == 0


def test_a_file_with_the_wrong_columns_is_refused(tmp_path, school):
    with pytest.raises(CommandError) as error:
        _import(tmp_path, "UPN;Forename;Surname\nA1;B;C\n", school)
    assert "missing the column(s): upn, legal_first_name" in str(error.value)
    assert Learner.objects.count() == 0


def test_an_unknown_school_is_refused(tmp_path, school):
    path = tmp_path / "learners.csv"
    path.write_text(GOOD)
    with pytest.raises(CommandError, match="No school has the URN 999999"):
        call_command("import_learners", str(path), "--school", "999999")
