"""The issue's "done when": the staff member reports, the DSL sees it on the dashboard at
once, triages it, records a LADO referral, closes it with an outcome; the access log shows
both views. Plus the demo seed and the admin's category page."""

from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from incidents.models import Category, Concern
from roper.models import AccessLog
from tests.factories import category


def test_report_triage_refer_close_and_the_access_log(world, as_user, client):
    teacher, dsl = world.users["teacher"], world.users["dsl"]
    client.force_login(teacher)
    client.post(
        reverse("incidents:new"),
        {
            "category": category(world.school, "staff_contact").pk,
            "immediate_danger": "False",
            "what_happened": "A parent messaged me on Instagram about Amelia.",
            "happened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "where": "At home",
            "platform": "Instagram",
            "people-TOTAL_FORMS": "0",
            "people-INITIAL_FORMS": "0",
        },
    )
    concern = Concern.objects.get()
    client.get(reverse("incidents:detail", args=[concern.pk]))

    client.force_login(dsl)
    board = client.get(reverse("incidents:dashboard")).content.decode()
    assert f"#{concern.pk}<" in board
    client.get(reverse("incidents:detail", args=[concern.pk]))
    record = lambda kind, data: client.post(  # noqa: E731
        reverse("incidents:record", args=[concern.pk, kind]), data
    )
    record("triage", {"triage-risk_level": "low", "triage-text": "Advice to staff member."})
    record(
        "referral",
        {
            "referral-referral": "lado",
            "referral-referred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "referral-referral_outcome": "No further LADO involvement.",
        },
    )
    client.post(
        reverse("incidents:close", args=[concern.pk]),
        {"decision": "Advice given", "reason": "No risk found", "outcome": "Contact blocked"},
    )
    concern.refresh_from_db()
    assert concern.is_closed
    page = client.get(reverse("incidents:detail", args=[concern.pk])).content.decode()
    assert "Who viewed this record" in page
    viewers = set(
        AccessLog.objects.filter(object_id=concern.pk, action="view").values_list("user", flat=True)
    )
    assert viewers == {teacher.pk, dsl.pk}
    mine = as_user(teacher).get(reverse("incidents:mine")).content.decode()
    assert "Closed" in mine


def test_the_demo_seed_is_idempotent(demo):
    counts = (Category.objects.count(), Concern.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (Category.objects.count(), Concern.objects.count()) == counts
    assert counts[1] >= 3  # the demo has concerns to triage (reports adds past terms)


def test_the_admin_edits_categories_but_has_no_concern_pages(demo, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="admin"))
    listing = client.get("/admin/incidents/category/")
    assert listing.status_code == 200
    assert "Any allegation about the headteacher" in listing.content.decode()
    assert client.get("/admin/incidents/concern/").status_code == 404
