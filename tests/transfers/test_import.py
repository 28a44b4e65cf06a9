"""Importing a transfer package (issue 19): all or nothing, refused with a clear message for
a wrong passphrase, a changed file, a learner already here, or a package imported twice."""

import json

import pytest
from django.urls import reverse

from incidents.models import Concern, Evidence
from incidents.retention import destroy_concerns
from people.models import Learner
from tests.factories import LearnerFactory
from transfers.importing import package_data_import, package_import
from transfers.models import PackageImport
from transfers.package import PackageError, package_data, package_seal

pytestmark = pytest.mark.django_db

PASSPHRASE = "amber-acorn-river-oak"


@pytest.fixture
def blob(world, held):
    data = package_data(learner=world.learner, user=world.users["dsl"], to_name="Other")
    return package_seal(data, passphrase=PASSPHRASE, pdf=b"%PDF-")


def _counts(school):
    return (
        Learner.objects.filter(school=school).count(),
        Concern.objects.filter(school=school).count(),
        Evidence.objects.filter(concern__school=school).count(),
        PackageImport.objects.count(),
    )


def test_a_package_is_imported_into_the_receiving_school(world, blob):
    done = package_import(
        blob=blob, passphrase=PASSPHRASE, school=world.other_school, by=world.users["outsider"]
    )
    assert done.learner.school == world.other_school
    assert done.learner.upn == world.learner.upn
    concern = Concern.objects.get(school=world.other_school)
    assert "stop" in concern.what_happened
    assert concern.involvements.filter(learner=done.learner).exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: (b, "wrong-passphrase-here"), "passphrase is wrong"),
        (lambda b: (b[:-10], PASSPHRASE), "changed or is incomplete"),
        (lambda b: (b"not a package", PASSPHRASE), "not a Roper transfer package"),
    ],
    ids=["wrong passphrase", "cut short", "not a package"],
)
def test_a_bad_package_is_refused_and_nothing_is_imported(world, blob, change, message):
    before = _counts(world.other_school)
    damaged, passphrase = change(blob)
    with pytest.raises(PackageError, match=message):
        package_import(
            blob=damaged,
            passphrase=passphrase,
            school=world.other_school,
            by=world.users["outsider"],
        )
    assert _counts(world.other_school) == before


def test_a_package_imported_twice_is_refused_the_second_time(world, blob):
    package_import(
        blob=blob, passphrase=PASSPHRASE, school=world.other_school, by=world.users["outsider"]
    )
    before = _counts(world.other_school)
    with pytest.raises(PackageError, match="imported already"):
        package_import(
            blob=blob,
            passphrase=PASSPHRASE,
            school=world.other_school,
            by=world.users["outsider"],
            attach=True,
        )
    assert _counts(world.other_school) == before


def test_a_learner_already_here_is_refused_unless_the_dsl_chooses_to_add_to_them(world, held):
    already = LearnerFactory(
        school=world.other_school,
        upn=world.learner.upn,
        legal_first_name=world.learner.legal_first_name,
        legal_last_name=world.learner.legal_last_name,
        date_of_birth=world.learner.date_of_birth,
    )
    data = package_data(learner=world.learner, user=world.users["dsl"])
    before = _counts(world.other_school)
    with pytest.raises(PackageError, match="already on roll"):
        package_data_import(data=data, school=world.other_school, by=world.users["outsider"])
    assert _counts(world.other_school) == before
    done = package_data_import(
        data=data, school=world.other_school, by=world.users["outsider"], attach=True
    )
    assert done.learner == already
    assert Concern.objects.filter(school=world.other_school).count() == len(data["concerns"])


def test_a_different_child_with_the_same_upn_is_refused_even_when_adding(world, held):
    LearnerFactory(school=world.other_school, upn=world.learner.upn, legal_first_name="Zara")
    data = package_data(learner=world.learner, user=world.users["dsl"])
    with pytest.raises(PackageError, match="different name or date of birth"):
        package_data_import(
            data=data, school=world.other_school, by=world.users["outsider"], attach=True
        )


def test_a_file_that_does_not_match_its_hash_is_refused(world, held):
    data = package_data(learner=world.learner, user=world.users["dsl"])
    data["concerns"][0]["evidence"][0]["sha256"] = "0" * 64
    before = _counts(world.other_school)
    with pytest.raises(PackageError, match="does not match its SHA-256"):
        package_data_import(data=data, school=world.other_school, by=world.users["outsider"])
    assert _counts(world.other_school) == before


def test_the_import_page_shows_the_refusal(world, blob, client):
    client.force_login(world.users["outsider"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("transfers:import"),
        {"package": SimpleUploadedFile("p.roper", blob), "passphrase": "wrong-wrong-wrong"},
    )
    assert response.status_code == 200
    assert "The passphrase is wrong" in response.content.decode()
    response = client.post(
        reverse("transfers:import"),
        {"package": SimpleUploadedFile("p.roper", blob), "passphrase": PASSPHRASE},
    )
    assert response.status_code == 302
    assert Learner.objects.filter(school=world.other_school, upn=world.learner.upn).exists()


def test_an_imports_copy_of_the_records_goes_when_retention_destroys_them(world, blob):
    done = package_import(
        blob=blob, passphrase=PASSPHRASE, school=world.other_school, by=world.users["outsider"]
    )
    concern = Concern.objects.get(school=world.other_school)
    assert concern.what_happened in json.dumps(done.manifest, ensure_ascii=False)

    destroy_concerns(Concern.objects.filter(pk=concern.pk))

    done.refresh_from_db()
    assert concern.what_happened not in json.dumps(done.manifest, ensure_ascii=False)
    assert done.manifest["destroyed"] and done.manifest["concerns_count"] == 1
