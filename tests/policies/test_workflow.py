from datetime import date

import pytest
import time_machine
from django.urls import reverse

from policies import services
from policies.models import Policy, ReviewTrigger
from roper.errors import Refused
from roper.models import Notification
from tests.factories import PolicyFactory, ratified_policy

OLD = "Staff keep phones in a safe place during lessons."
NEW = "Staff keep phones in a locked drawer during lessons."


@pytest.fixture
def policy(world):
    return ratified_policy(world.school, title="Mobile technology", slug="mobile-technology")


def _review_and_ratify(policy, head, client, *, ratified_on="2026-11-20", next_review=""):
    client.force_login(head)
    assert client.post(reverse("policies:review_start", args=[policy.slug])).status_code == 302
    draft = policy.draft_version
    response = client.post(
        reverse("policies:draft", args=[policy.slug]),
        {"body": draft.body.replace(OLD, NEW), "change_summary": "Phones locked away"},
    )
    assert response.status_code == 302
    return client.post(
        reverse("policies:ratify", args=[policy.slug]),
        {
            "ratified_on": ratified_on,
            "ratified_by": "Governing Body",
            "next_review_on": next_review,
        },
    )


@time_machine.travel(date(2026, 11, 24))
def test_a_review_copies_the_current_text_into_a_draft(policy, head):
    draft = services.policy_review_start(policy=policy, by=head)
    policy.refresh_from_db()
    assert draft.number == 2 and draft.is_draft
    assert draft.body == policy.body
    assert policy.status == Policy.Status.UNDER_REVIEW
    # Starting it again returns the same draft.
    assert services.policy_review_start(policy=policy, by=head) == draft


@time_machine.travel(date(2026, 11, 24))
def test_ratifying_a_new_version_keeps_the_old_one_readable(policy, head, client):
    response = _review_and_ratify(policy, head, client)
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.status == Policy.Status.RATIFIED
    assert policy.current_version.number == 2
    assert NEW in policy.body
    old_page = client.get(reverse("policies:version", args=[policy.slug, 1]))
    assert OLD in old_page.content.decode()
    assert "superseded" in old_page.content.decode()
    assert NEW in client.get(policy.get_absolute_url()).content.decode()


@time_machine.travel(date(2026, 11, 24))
def test_ratifying_sets_the_next_review_a_year_later_and_the_list_shows_it(policy, head, client):
    _review_and_ratify(policy, head, client)
    policy.refresh_from_db()
    assert policy.next_review_on == date(2027, 11, 20)
    assert policy.ratification_recorded_by == head
    assert "20 Nov 2027" in client.get(reverse("policies:list")).content.decode()


@time_machine.travel(date(2026, 11, 24))
def test_a_ratification_with_a_review_later_than_a_year_is_refused(policy, head, client):
    response = _review_and_ratify(policy, head, client, next_review="2028-01-01")
    assert response.status_code == 200
    assert "at least annually" in response.content.decode()
    policy.refresh_from_db()
    assert policy.draft_version is not None


@time_machine.travel(date(2026, 11, 24))
def test_the_diff_page_shows_the_changed_sentence(policy, head, client):
    _review_and_ratify(policy, head, client)
    page = client.get(reverse("policies:diff", args=[policy.slug]) + "?from=1&to=2")
    html = page.content.decode()
    assert "Changed" in html
    assert "<del>safe place</del>" in html and "<ins>locked drawer</ins>" in html
    # Unchanged sentences are not listed.
    assert "Phones are switched to silent" not in html


@time_machine.travel(date(2026, 11, 24))
def test_ratifying_asks_every_staff_member_to_acknowledge(policy, head, world, client):
    _review_and_ratify(policy, head, client)
    asked = set(
        Notification.objects.filter(title__startswith="Please read").values_list(
            "recipient__username", flat=True
        )
    )
    staff = {"office", "teacher", "leadership", "osl", "dsl", "deputy_dsl", "head"}
    assert asked == staff


def test_a_trigger_from_a_closed_concern_puts_the_policy_under_review(policy, dsl):
    trigger = services.review_trigger_open(
        policy=policy,
        reason="lessons_learnt",
        by=dsl,
        note="Staff unsure where to hand phones in.",
        source="concern #12",
    )
    policy.refresh_from_db()
    assert trigger.is_open
    assert policy.status == Policy.Status.UNDER_REVIEW
    assert policy.draft_version is not None
    managers = set(
        Notification.objects.filter(title__contains="early review").values_list(
            "recipient__username", flat=True
        )
    )
    assert managers == {"dsl", "deputy_dsl", "head"}


@time_machine.travel(date(2026, 11, 24))
def test_ratifying_closes_the_open_triggers(policy, head, client):
    services.review_trigger_open(policy=policy, reason="technology", by=head)
    _review_and_ratify(policy, head, client)
    trigger = ReviewTrigger.objects.get()
    assert not trigger.is_open
    assert trigger.closed_by_version.number == 2


def test_an_unknown_trigger_reason_is_refused(policy, head):
    with pytest.raises(Refused):
        services.review_trigger_open(policy=policy, reason="whim", by=head)
    assert not ReviewTrigger.objects.exists()


def test_the_trigger_form_puts_the_policy_under_review(policy, head, client):
    client.force_login(head)
    response = client.post(
        reverse("policies:trigger_create", args=[policy.slug]),
        {"reason": "national_guidance", "note": "KCSIE 2026"},
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.status == Policy.Status.UNDER_REVIEW
    assert "KCSIE 2026" in client.get(policy.get_absolute_url()).content.decode()


@time_machine.travel(date(2026, 11, 24))
def test_the_list_shows_overdue_reviews_first(
    world, teacher, client, django_assert_max_num_queries
):
    ratified_policy(world.school, title="Zebra", slug="zebra", ratified_on=date(2026, 3, 1))
    late = ratified_policy(world.school, title="Overdue", slug="overdue")
    late.next_review_on = date(2026, 1, 1)
    late.save()
    PolicyFactory(school=world.school, title="Alpha draft", slug="alpha")
    for n in range(5):
        ratified_policy(world.school, title=f"Extra {n}", slug=f"extra-{n}")
    client.force_login(teacher)
    with django_assert_max_num_queries(12):
        html = client.get(reverse("policies:list")).content.decode()
    assert html.index("Overdue") < html.index("Zebra") < html.index("Alpha draft")
    assert "overdue</strong>" in html


def test_the_policy_body_is_rendered_and_sanitised(world, teacher, client):
    policy = ratified_policy(
        world.school,
        title="Unsafe",
        slug="unsafe",
        body="## Heading\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**",
    )
    client.force_login(teacher)
    html = client.get(policy.get_absolute_url()).content.decode()
    assert "<h2>Heading</h2>" in html and "<strong>bold</strong>" in html
    assert "<script>alert" not in html and "javascript:" not in html


def test_a_manager_adds_a_listed_only_policy_with_a_file(world, head, client, private_storage):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(head)
    response = client.post(
        reverse("policies:create"),
        {
            "title": "Image use policy",
            "listed_only": "on",
            "owner": "Online Safety Lead",
            "ratified_on": "2026-01-12",
            "next_review_on": "2027-01-12",
            "file": SimpleUploadedFile("image-use.pdf", b"%PDF-1.4 image use"),
        },
    )
    assert response.status_code == 302
    policy = Policy.objects.get(slug="image-use-policy")
    assert policy.status == Policy.Status.RATIFIED and policy.listed_only
    assert (private_storage / policy.file.name).exists()
    download = client.get(reverse("policies:file", args=[policy.slug]))
    assert b"".join(download.streaming_content) == b"%PDF-1.4 image use"


def test_changes_are_kept_in_the_history(policy, head):
    services.policy_review_start(policy=policy, by=head)
    assert [h.status for h in policy.history.order_by("history_id")][-1] == "under_review"
    assert policy.history.count() >= 2


@time_machine.travel(date(2026, 11, 24))
def test_an_archived_policy_is_never_overdue_and_cannot_be_reviewed(policy, head, client):
    policy.next_review_on = date(2026, 1, 1)
    policy.save()
    client.force_login(head)
    assert client.post(reverse("policies:archive", args=[policy.slug])).status_code == 302
    policy.refresh_from_db()
    assert policy.status == Policy.Status.ARCHIVED and not policy.is_overdue()
    with pytest.raises(Refused):
        services.policy_review_start(policy=policy, by=head)


def test_key_people_must_belong_to_the_school(policy, head, world, client):
    client.force_login(head)
    url = reverse("policies:edit", args=[policy.slug])
    data = {
        "title": policy.title,
        "review_months": 12,
        "next_review_on": policy.next_review_on.isoformat(),
        "requires_acknowledgement": "on",
    }
    refused = client.post(url, {**data, "dsl": world.users["outsider"].pk})
    assert refused.status_code == 200 and "dsl" in refused.context["form"].errors
    assert client.post(url, {**data, "dsl": world.users["dsl"].pk}).status_code == 302
    policy.refresh_from_db()
    assert policy.dsl == world.users["dsl"]


def test_a_listed_policy_under_review_is_ratified_again_with_its_new_dates(world, head, client):
    listed = PolicyFactory(
        school=world.school,
        title="Image use",
        slug="image-use",
        listed_only=True,
        status=Policy.Status.RATIFIED,
        ratified_on=date(2025, 1, 10),
        next_review_on=date(2026, 1, 10),
    )
    services.review_trigger_open(policy=listed, reason="technology", by=head)
    listed.refresh_from_db()
    assert listed.status == Policy.Status.UNDER_REVIEW
    client.force_login(head)
    response = client.post(
        reverse("policies:edit", args=[listed.slug]),
        {
            "title": "Image use",
            "owner": "Online Safety Lead",
            "ratified_on": "2026-01-12",
            "review_months": 12,
            "next_review_on": "2027-01-12",
        },
    )
    assert response.status_code == 302
    listed.refresh_from_db()
    assert listed.status == Policy.Status.RATIFIED
    assert not ReviewTrigger.objects.filter(policy=listed, closed_at__isnull=True).exists()
