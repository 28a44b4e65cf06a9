"""A name or title typed with a bidirectional override (U+202E RIGHT-TO-LEFT OVERRIDE and
its kin) cannot reorder what is shown around it: such characters are removed from every
name and title when it is saved (roper/text.py), whichever way it came in. (Uploaded file
names lose them before that: Django's multipart parser drops non-printable characters.)"""

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.urls import reverse

from incidents.models import Concern
from people.importer import import_apply, rows_from_csv
from people.models import Learner
from policies.models import Policy
from tests.factories import learner_concern
from tests.incidents.test_views import PDF, _form
from tests.people.importing import upn
from tests.people.test_import_learners import HEADER

pytestmark = pytest.mark.django_db

RLO = "\u202e"
CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


def test_a_learner_imported_as_amelia_rlo_gnp_exe_is_shown_as_typed_without_the_override(
    world, as_user
):
    row = f"{upn(7)},Amelia{RLO}gnp.exe,Brook,,2016-03-04,5,Oak,,,,,,,,,,\n"
    import_apply(school=world.school, parsed=rows_from_csv(HEADER + row), full_roll=False)
    learner = Learner.objects.get(upn=upn(7))
    assert learner.name == "Ameliagnp.exe Brook"
    found = as_user(world.users["teacher"]).get(
        reverse("incidents:learner_search"),
        {"prefix": "people-0", "people-0-name": "amelia"},
    )
    assert "Ameliagnp.exe Brook" in found.text
    assert RLO not in found.text


def test_a_childs_name_typed_on_the_report_form_loses_the_override(world, as_user):
    data = _form(world, **{"people-0-name": f"Amelia{RLO}gnp.exe"})
    assert as_user(world.users["governor"]).post(reverse("incidents:new"), data).status_code == 302
    concern = Concern.objects.get()
    assert concern.involvements.get(kind="learner").name == "Ameliagnp.exe"
    page = as_user(world.users["dsl"]).get(reverse("incidents:detail", args=[concern.pk])).text
    assert "Ameliagnp.exe" in page
    assert RLO not in page


def test_a_policy_title_loses_the_override(world, as_user):
    client = as_user(world.users["head"])
    response = client.post(
        reverse("policies:create"),
        {
            "title": f"Image use {RLO}ycilop",
            "listed_only": "on",
            "ratified_on": "2026-02-01",
            "next_review_on": "2027-01-31",
            "file": SimpleUploadedFile("policy.pdf", PDF),
        },
    )
    assert response.status_code == 302
    assert Policy.objects.get(school=world.school).title == "Image use ycilop"
    assert RLO not in client.get(reverse("policies:list")).text


def test_a_staff_name_loses_the_override_where_it_is_offered(world, as_user):
    dsl = world.users["dsl"]
    dsl.first_name = f"Dee{RLO}nomis"
    dsl.save()
    page = as_user(world.users["head"]).get(
        reverse("incidents:detail", args=[learner_concern(world).pk])
    )
    assert f"Deenomis {dsl.last_name}" in page.text
    assert RLO not in page.text


PROJECT_APPS = {
    "people",
    "policies",
    "devices",
    "incidents",
    "reports",
    "roper",
    "sso",
    "transfers",
}


def _project_models():
    for model in apps.get_models():
        if model.__module__.split(".")[0] in PROJECT_APPS:
            yield model
    yield apps.get_model("auth", "User")


@pytest.mark.parametrize("model", list(_project_models()), ids=lambda m: m._meta.label)
def test_every_short_text_field_is_cleaned_on_save(model):
    from roper.text import strip_bidi_controls

    fields = [f for f in model._meta.concrete_fields if isinstance(f, models.CharField)]
    instance = model()
    for field in fields:
        setattr(instance, field.attname, f"a{CONTROLS}b")
    strip_bidi_controls(sender=model, instance=instance)
    for field in fields:
        assert getattr(instance, field.attname) == "ab", field.name
