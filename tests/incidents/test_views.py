from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from incidents.models import Concern, Entry, Evidence
from roper.models import AccessLog
from tests.factories import category, learner_concern, report

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def _form(world, key="social_media", **extra):
    data = {
        "category": category(world.school, key).pk,
        "immediate_danger": "False",
        "what_happened": "Said an older boy asked for photos on a game.",
        "happened_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "where": "Classroom",
        "platform": "Roblox",
        "handles": "@stranger123",
        "people-TOTAL_FORMS": "3",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "30",
        "people-0-kind": "learner",
        "people-0-learner": world.learner.pk,
        "people-0-part": "child",
        "people-1-kind": "visitor",
        "people-1-name": "Mr Gate, a volunteer",
        "people-1-part": "witness",
    }
    data.update(extra)
    return data


def test_a_teacher_reports_a_concern_with_people_and_evidence(world, as_user):
    client = as_user(world.users["teacher"])
    data = _form(world, evidence=[SimpleUploadedFile("shot.png", PNG)])
    response = client.post(reverse("incidents:new"), data)
    concern = Concern.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("incidents:detail", args=[concern.pk])
    parts = {(i.display_name, i.part, i.is_subject) for i in concern.involvements.all()}
    assert parts == {
        ("Amelia Khan", "child", True),
        ("Mr Gate, a volunteer", "witness", False),
    }
    evidence = Evidence.objects.get()
    assert evidence.content_type == "image/png"
    assert concern.owner == world.users["dsl"]


def test_the_form_shows_the_category_guidance_and_the_999_message(world, as_user):
    page = as_user(world.users["teacher"]).get(reverse("incidents:new")).content.decode()
    assert "Call 999 now" in page
    assert category(world.school, "social_media").guidance[:40] in page
    assert "Is anyone in immediate danger?" in page
    # Policy §9: the police on 101, or 999 if there is immediate danger or risk of harm.
    numbers = page[page.index('id="police-numbers"') :][:300]
    assert "999" in numbers and "101" in numbers and "not an emergency" in numbers


def test_a_police_concern_shows_its_owner_101_beside_999(world, as_user):
    concern = report(world.school, world.users["teacher"], "illegal_material")
    page = as_user(world.users["dsl"]).get(reverse("incidents:detail", args=[concern.pk]))
    numbers = page.content.decode().split('id="police-numbers"')[1][:300]
    assert "<strong>101</strong> (non-emergency)" in numbers and "999" in numbers


def test_an_html_file_renamed_jpg_is_refused(world, as_user):
    client = as_user(world.users["teacher"])
    fake = SimpleUploadedFile("photo.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")
    response = client.post(reverse("incidents:new"), _form(world, evidence=[fake]))
    assert response.status_code == 200
    assert "photo.jpg is not an image or a PDF." in response.content.decode()
    assert not Concern.objects.exists()


def test_the_sexual_images_category_refuses_an_image_and_says_why(world, as_user):
    client = as_user(world.users["teacher"])
    data = _form(world, "sexual_images", evidence=[SimpleUploadedFile("s.png", PNG)])
    response = client.post(reverse("incidents:new"), data)
    assert "Do not upload, copy, forward or screenshot" in response.content.decode()
    assert not Concern.objects.exists()


def test_an_oversized_file_is_refused(world, as_user, monkeypatch):
    monkeypatch.setattr("incidents.services.MAX_EVIDENCE_BYTES", 10)
    client = as_user(world.users["teacher"])
    response = client.post(
        reverse("incidents:new"), _form(world, evidence=[SimpleUploadedFile("a.pdf", PDF)])
    )
    assert "is larger than" in response.content.decode()


def test_evidence_is_stored_privately_and_no_media_url_serves_it(world, as_user, private_storage):
    client = as_user(world.users["teacher"])
    client.post(reverse("incidents:new"), _form(world, evidence=[SimpleUploadedFile("r.pdf", PDF)]))
    evidence = Evidence.objects.get()
    assert (private_storage / evidence.file.name).read_bytes() == PDF
    dsl = as_user(world.users["dsl"])
    for guess in (
        f"/media/{evidence.file.name}",
        f"/{evidence.file.name}",
        f"/private/{evidence.file.name}",
    ):
        assert dsl.get(guess).status_code == 404
    download = dsl.get(reverse("incidents:evidence", args=[evidence.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert AccessLog.objects.filter(action="download", user=world.users["dsl"]).exists()


def test_opening_a_concern_marks_it_read_and_logs_the_view(world, as_user):
    concern = learner_concern(world)
    teacher = as_user(world.users["teacher"])
    teacher.get(reverse("incidents:detail", args=[concern.pk]))
    concern.refresh_from_db()
    assert concern.read_at is None, "the reporter's own view does not count"
    dsl = as_user(world.users["dsl"])
    page = dsl.get(reverse("incidents:detail", args=[concern.pk])).content.decode()
    concern.refresh_from_db()
    assert concern.first_read_by == world.users["dsl"]
    assert "Who viewed this record" in page
    assert (
        AccessLog.objects.filter(object_id=concern.pk, what=f"concern #{concern.pk}").count() == 2
    )
    mine = as_user(world.users["teacher"]).get(reverse("incidents:mine")).content.decode()
    assert "Read " in mine


def test_a_self_referral_is_not_in_my_reports_nor_its_triage(world, as_user):
    """A teacher who names themself as the alleged person cannot open the concern (it is
    about them); "My reports" does not list it either, so its status and "read" never show
    them how the allegation is being dealt with."""
    from incidents.services import concern_close, concern_viewed

    teacher, head = world.users["teacher"], world.users["head"]
    own = learner_concern(world)
    about_me = report(world.school, teacher, "staff_online_conduct", people=[(teacher, "alleged")])
    client = as_user(teacher)
    assert client.get(reverse("incidents:detail", args=[about_me.pk])).status_code == 404

    def listed():
        page = client.get(reverse("incidents:mine")).content.decode()
        return page, page[page.index("<tbody>") : page.index("</tbody>")]

    before = listed()[1]
    concern_viewed(concern=about_me, viewer=head, full=True)
    concern_close(concern=about_me, by=head, decision="d", reason="r", outcome="o", finding="false")

    after, rows = listed()
    assert rows == before
    assert str(about_me.pk) not in after and about_me.category.name not in after
    assert reverse("incidents:detail", args=[own.pk]) in after


def test_the_reporter_sees_their_report_but_not_the_triage(world, as_user):
    concern = learner_concern(world)
    dsl = as_user(world.users["dsl"])
    dsl.post(
        reverse("incidents:record", args=[concern.pk, "triage"]),
        {"triage-risk_level": "high", "triage-text": "Grooming indicators; call parents."},
    )
    page = as_user(world.users["teacher"]).get(reverse("incidents:detail", args=[concern.pk]))
    text = page.content.decode()
    assert "Said an older boy" not in text  # (the factory's text below)
    assert "an older boy messaged her" in text
    assert "Grooming indicators" not in text
    assert "Who viewed this record" not in text
    assert "Awaiting referral" in text


def test_the_dsl_triages_refers_to_the_lado_and_closes(world, as_user):
    concern = report(
        world.school,
        world.users["teacher"],
        "staff_online_conduct",
        people=[(world.users["leadership"], "alleged")],
    )
    head = as_user(world.users["head"])
    url = lambda kind: reverse("incidents:record", args=[concern.pk, kind])  # noqa: E731
    head.post(url("triage"), {"triage-risk_level": "medium", "triage-text": "Needs LADO."})
    concern.refresh_from_db()
    assert concern.status == Concern.Status.AWAITING_REFERRAL
    head.post(
        url("referral"),
        {
            "referral-referral": "lado",
            "referral-referred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "referral-referral_outcome": "LADO advised internal process.",
        },
    )
    concern.refresh_from_db()
    assert concern.status == Concern.Status.IN_PROGRESS
    refused = head.post(reverse("incidents:close", args=[concern.pk]), {"decision": "NFA"})
    assert refused.status_code == 400
    concern.refresh_from_db()
    assert not concern.is_closed
    head.post(
        reverse("incidents:close", args=[concern.pk]),
        {
            "decision": "Internal process",
            "reason": "LADO advice",
            "outcome": "Training given",
            "finding": "substantiated",
        },
    )
    concern.refresh_from_db()
    assert concern.is_closed and concern.outcome == "Training given"
    kinds = list(concern.entries.values_list("kind", flat=True))
    assert kinds == ["triage", "referral", "closure"]


def test_a_police_referral_needs_the_reference(world, as_user):
    concern = learner_concern(world)
    response = as_user(world.users["dsl"]).post(
        reverse("incidents:record", args=[concern.pk, "referral"]),
        {
            "referral-referral": "police",
            "referral-referred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 400
    assert "Give the police reference." in response.content.decode()
    assert not Entry.objects.filter(kind="referral").exists()


def test_a_parent_contact_says_who_when_how_or_why_not(world, as_user):
    concern = learner_concern(world)
    dsl = as_user(world.users["dsl"])
    url = reverse("incidents:record", args=[concern.pk, "parent_contact"])
    assert dsl.post(url, {"parent_contact-contact_who": "Mother"}).status_code == 400
    dsl.post(url, {"parent_contact-not_told_reason": "Telling may put the child at risk."})
    assert Entry.objects.get(kind="parent_contact").not_told_reason


def test_the_dashboard_makes_the_same_few_queries_for_10_or_many_concerns(
    world, as_user, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.incidents.bulk import bulk_concerns

    client = as_user(world.users["dsl"])
    bulk_concerns(world.school, world.users["teacher"], world.learner, 10)
    with CaptureQueriesContext(connection) as ten:
        assert client.get(reverse("incidents:dashboard")).status_code == 200
    bulk_concerns(world.school, world.users["teacher"], world.learner, 400)
    client.get(reverse("incidents:dashboard"))  # the unread badge, counted again once
    with django_assert_max_num_queries(18), CaptureQueriesContext(connection) as many:
        response = client.get(reverse("incidents:dashboard"))
    assert len(many) == len(ten)
    assert "Showing the 50 most urgent of" in response.content.decode()


def test_the_dashboard_shows_overdue_concerns_and_refreshes_with_htmx(world, as_user):
    concern = learner_concern(world)
    Concern.objects.filter(pk=concern.pk).update(
        deadline=timezone.now() - timezone.timedelta(hours=2)
    )
    client = as_user(world.users["dsl"])
    page = client.get(reverse("incidents:dashboard")).content.decode()
    assert "Overdue by" in page and 'hx-trigger="every 30s"' in page
    partial = client.get(reverse("incidents:dashboard"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and f"#{concern.pk}" in partial


def test_the_dashboard_filters_by_year_group(world, as_user):
    concern = learner_concern(world)  # Year 5
    client = as_user(world.users["dsl"])
    assert (
        f"#{concern.pk}<"
        in client.get(reverse("incidents:dashboard"), {"year": "5"}).content.decode()
    )
    assert (
        f"#{concern.pk}<"
        not in client.get(reverse("incidents:dashboard"), {"year": "3"}).content.decode()
    )


def test_the_chair_dashboard_lists_only_allegations_about_the_head(world, as_user):
    from tests.factories import head_allegation

    mine = head_allegation(world)
    other = learner_concern(world)
    page = as_user(world.users["chair"]).get(reverse("incidents:dashboard")).content.decode()
    assert f"#{mine.pk}<" in page and f"#{other.pk}<" not in page


def test_the_chronology_lists_a_learners_concerns_and_referrals_and_is_logged(world, as_user):
    concern = learner_concern(world)
    dsl = as_user(world.users["dsl"])
    dsl.post(
        reverse("incidents:record", args=[concern.pk, "parent_contact"]),
        {
            "parent_contact-contact_who": "Mother",
            "parent_contact-referred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "parent_contact-contact_how": "Phone",
        },
    )
    page = dsl.get(reverse("reports:chronology", args=[world.learner.pk])).content.decode()
    assert "Concern reported" in page and "Contact with parents/carers" in page
    assert "data-print" in page
    assert AccessLog.objects.filter(what=f"chronology of learner {world.learner.pk}").exists()


def test_the_owner_is_told_of_new_information_and_of_a_handover(world, as_user):
    from roper.models import Notification

    concern = learner_concern(world)
    as_user(world.users["teacher"]).post(
        reverse("incidents:add", args=[concern.pk]), {"text": "She cried at lunch."}
    )
    assert Notification.objects.filter(
        recipient=world.users["dsl"], title="New information on a concern you own"
    ).exists()
    as_user(world.users["dsl"]).post(
        reverse("incidents:record", args=[concern.pk, "triage"]),
        {
            "triage-risk_level": "low",
            "triage-owner": world.users["deputy_dsl"].pk,
            "triage-text": "Deputy knows the family.",
        },
    )
    concern.refresh_from_db()
    assert concern.owner == world.users["deputy_dsl"]
    assert Notification.objects.filter(
        recipient=world.users["deputy_dsl"], title="A concern has been passed to you"
    ).exists()


def test_a_safeguarding_viewer_can_follow_a_learner_to_their_chronology(world, as_user):
    concern = learner_concern(world)
    chronology = reverse("reports:chronology", args=[world.learner.pk])
    assert (
        chronology
        in as_user(world.users["dsl"])
        .get(reverse("incidents:detail", args=[concern.pk]))
        .content.decode()
    )
    assert (
        chronology
        not in as_user(world.users["teacher"])
        .get(reverse("incidents:detail", args=[concern.pk]))
        .content.decode()
    )
