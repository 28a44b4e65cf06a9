"""Every page of /admin/, from the admin site's own registry, as school A's IT admin: school
B's records never appear and cannot be opened, and safeguarding records are refused. A new
ModelAdmin without a row below fails `test_every_registered_model_has_a_row` (issue 14)."""

from dataclasses import dataclass
from datetime import date

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from devices.models import DeviceSettings
from incidents.models import Category
from people.models import AuditEntry, MisConnection, RoleRequest
from policies.models import Policy, PolicyVersion, ReviewTrigger, TrainingSession, TrainingSettings
from reports.models import ReportSettings
from tests.factories import GuardianFactory, LearnerFactory, MembershipFactory
from tests.people.conftest import admin_client, school_admin  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

A, B = "Anthony", "Zebedee"  # in the name of everything of school A, and of school B


def _person(world, school, marker):
    membership = MembershipFactory(
        school=school,
        roles=["staff"],
        user__username=f"{marker.lower()}_person",
        user__first_name=marker,
        user__last_name="Person",
    )
    return membership.user


def _policy(world, school, marker):
    return Policy.objects.create(school=school, title=f"{marker} policy", slug=marker.lower())


def _attempt(world, school, marker):
    return AccessAttempt.objects.create(
        username=_person(world, school, marker).username,
        ip_address="192.0.2.1",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=5,
    )


def _sign_in_request(world, school, marker):
    from sso.models import IdentityProvider, SignInRequest

    provider = IdentityProvider.objects.create(
        kind="entra", school=school, client_id=marker, secret="s", tenant_id="t"
    )
    return SignInRequest.objects.create(
        provider=provider, school=school, subject=marker, name=f"{marker} Newcomer"
    )


@dataclass(frozen=True)
class Row:
    #: "school": the admin sees their schools' records only; "superusers": refused.
    kind: str
    #: (world, school, marker) -> a record of that school whose list row shows the marker.
    build: object = None


SUPERUSERS = Row("superusers")
TABLE = {
    "auth.User": Row("school", _person),
    "auth.Group": SUPERUSERS,
    "people.Trust": SUPERUSERS,
    "people.School": Row("school", lambda w, school, m: school),
    "people.Learner": Row(
        "school", lambda w, school, m: LearnerFactory(school=school, legal_last_name=m)
    ),
    "people.Guardian": Row(
        "school", lambda w, school, m: GuardianFactory(school=school, name=f"{m} Parent")
    ),
    "people.Membership": Row(
        "school", lambda w, school, m: _person(w, school, m).memberships.get()
    ),
    "people.RoleRequest": Row(
        "school",
        lambda w, school, m: RoleRequest.objects.create(
            school=school, user=_person(w, school, m), role="dsl"
        ),
    ),
    "people.AuditEntry": Row(
        "school",
        lambda w, school, m: AuditEntry.record(
            school=school,
            action=AuditEntry.Action.ROLE_GRANTED,
            actor=None,
            subject=_person(w, school, m),
            role="staff",
        ),
    ),
    "people.MisConnection": Row(
        "school",
        lambda w, school, m: MisConnection.objects.create(
            school=school, external_id=f"{m}-wonde", token=f"{m}-token"
        ),
    ),
    "incidents.Category": Row(
        "school",
        lambda w, school, m: Category.objects.create(
            school=school, key=m.lower(), name=f"{m} category"
        ),
    ),
    "devices.DeviceSettings": Row(
        "school", lambda w, school, m: DeviceSettings.objects.create(school=school)
    ),
    "policies.TrainingSettings": Row(
        "school", lambda w, school, m: TrainingSettings.objects.create(school=school)
    ),
    "reports.ReportSettings": Row(
        "school", lambda w, school, m: ReportSettings.objects.create(school=school)
    ),
    "policies.Policy": Row("school", _policy),
    "policies.PolicyVersion": Row(
        "school",
        lambda w, school, m: PolicyVersion.objects.create(
            policy=_policy(w, school, m), number=1, body=m
        ),
    ),
    "policies.ReviewTrigger": Row(
        "school",
        lambda w, school, m: ReviewTrigger.objects.create(
            policy=_policy(w, school, m), reason="technology", note=m
        ),
    ),
    "policies.TrainingSession": Row(
        "school",
        lambda w, school, m: TrainingSession.objects.create(
            school=school, title=f"{m} training", held_on=date(2026, 9, 3), topic="other"
        ),
    ),
    # Who was told what, and when: a concern about the admin would show as a notice to the
    # DSL. Delivery is the server operator's (EMAIL_URL), so failed emails are theirs too.
    "roper.Notification": SUPERUSERS,
    "axes.AccessAttempt": Row("school", _attempt),
    # Sign-in history and second-factor secrets.
    "axes.AccessLog": SUPERUSERS,
    "axes.AccessFailureLog": SUPERUSERS,
    "otp_totp.TOTPDevice": SUPERUSERS,
    "otp_static.StaticDevice": SUPERUSERS,
    # Single sign-on: a provider signs in as anyone of its schools, the DSL included.
    "sso.IdentityProvider": SUPERUSERS,
    "socialaccount.SocialAccount": SUPERUSERS,
    "sso.SignInRequest": Row("school", _sign_in_request),
    # Safeguarding and device records: the admin role does not read them.
    "roper.AccessLog": SUPERUSERS,
    "devices.Confiscation": SUPERUSERS,
    "devices.CustodyEvent": SUPERUSERS,
    "devices.Handover": SUPERUSERS,
    "devices.DeskEntry": SUPERUSERS,
    "devices.DayReconciliation": SUPERUSERS,
    "devices.StaffException": SUPERUSERS,
    "devices.ParentContactException": SUPERUSERS,
    "devices.LearnerExemption": SUPERUSERS,
    "devices.CurriculumUseRequest": SUPERUSERS,
}

#: Records about concerns, and who read them: never the admin's, whatever the registry says.
SAFEGUARDING = {
    m._meta.label
    for m in apps.get_app_config("incidents").get_models()
    if m is not Category and not m._meta.label.startswith("incidents.Historical")
} | {"roper.AccessLog", "devices.Confiscation", "devices.CustodyEvent"}

REGISTRY = sorted(m._meta.label for m in admin.site._registry)


def _url(label, view, *args):
    app, model = label.lower().split(".")
    return reverse(f"admin:{app}_{model}_{view}", args=args)


@pytest.fixture
def records(world):
    world.other_school.name = f"{B} Primary School"
    world.other_school.save()
    return world


def test_every_registered_model_has_a_row():
    assert set(REGISTRY) == set(TABLE), "add the new admin page to TABLE"


def test_safeguarding_models_are_for_superusers_if_registered_at_all():
    for label in SAFEGUARDING:
        assert TABLE.get(label, SUPERUSERS) is SUPERUSERS, label


@pytest.mark.parametrize("label", sorted(SAFEGUARDING))
def test_safeguarding_pages_are_refused(admin_client, label):  # noqa: F811
    try:
        url = _url(label, "changelist")
    except NoReverseMatch:
        return  # not in the admin at all
    assert admin_client.get(url).status_code == 403


@pytest.mark.parametrize("label", [k for k in REGISTRY if TABLE.get(k) is SUPERUSERS])
def test_a_superusers_page_is_refused_to_the_admin(admin_client, label):  # noqa: F811
    assert admin_client.get(_url(label, "changelist")).status_code == 403
    assert admin_client.get(_url(label, "add")).status_code == 403
    assert admin_client.get(_url(label, "change", 1)).status_code == 403
    assert admin_client.post(_url(label, "delete", 1), {"post": "yes"}).status_code == 403
    index = admin_client.get(reverse("admin:index"))
    assert _url(label, "changelist") not in index.text


@pytest.mark.parametrize("label", [k for k in REGISTRY if TABLE.get(k, SUPERUSERS).build])
def test_the_admin_sees_only_their_schools_records(admin_client, records, label):  # noqa: F811
    build = TABLE[label].build
    ours = build(records, records.school, A)
    theirs = build(records, records.other_school, B)

    listed = admin_client.get(_url(label, "changelist"))
    assert listed.status_code == 200
    page = listed.text.lower()
    assert A.lower() in page
    assert B.lower() not in page

    add = admin_client.get(_url(label, "add"))
    assert add.status_code in (200, 403)
    assert B.lower() not in add.text.lower()

    assert admin_client.get(_url(label, "change", ours.pk)).status_code == 200
    assert admin_client.get(_url(label, "change", theirs.pk)).status_code == 404
    assert admin_client.post(_url(label, "change", theirs.pk), {}).status_code == 404
    assert admin_client.get(_url(label, "history", theirs.pk)).status_code == 404
    delete = admin_client.post(_url(label, "delete", theirs.pk), {"post": "yes"})
    assert delete.status_code in (403, 404)
    assert type(theirs).objects.filter(pk=theirs.pk).exists()
    history = getattr(type(theirs), "history", None)
    if history is not None and history.filter(pk=theirs.pk).exists():
        version = history.filter(pk=theirs.pk).first().history_id
        revert = _url(label, "simple_history", theirs.pk, version)
        assert admin_client.get(revert).status_code == 404


def _choice_school(obj):
    """The school a record offered in a form belongs to (None: not a school's record)."""
    if obj._meta.label == "people.School":
        return obj.pk
    if obj._meta.label == "auth.User":
        return {m.school_id for m in obj.memberships.all()} or None
    return getattr(obj, "school_id", None)


def test_no_form_in_the_admin_offers_or_takes_another_schools_record(admin_client, records):  # noqa: F811
    """Every page and inline the admin may add or change: no choice (a foreign key, a many-to-
    many) lists a record of school B, so none can be posted (a form accepts only its choices)."""
    from django.forms import ModelChoiceField
    from django.test import RequestFactory

    for n, row in enumerate(TABLE.values()):
        if row.build:
            row.build(records, records.other_school, f"{B}{n}")
            row.build(records, records.school, f"{A}{n}")
    request = RequestFactory().get("/admin/")
    request.user = records.users["admin"]
    other = records.other_school.pk
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if not (
            model_admin.has_add_permission(request) or model_admin.has_change_permission(request)
        ):
            continue
        obj = model_admin.get_queryset(request).first()
        forms = [model_admin.get_form(request, obj)]
        forms += [
            inline.get_formset(request, obj).form
            for inline in model_admin.get_inline_instances(request, obj)
        ]
        for form in forms:
            for name, field in form.base_fields.items():
                if not isinstance(field, ModelChoiceField):
                    continue
                for choice in field.queryset:
                    school = _choice_school(choice)
                    assert school != other and not (isinstance(school, set) and other in school), (
                        f"{model._meta.label} form field {name} offers {choice!r} of school B"
                    )
                checked += 1
    assert checked > 10, checked
