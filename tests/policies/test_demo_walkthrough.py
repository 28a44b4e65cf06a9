"""The issue's 'done when': as the demo headteacher, review the seed policy, change a
sentence and ratify it; the demo staff account is asked to acknowledge it; the list shows
the new review date."""

from datetime import date

import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from roper.models import Notification

SENTENCE = "The use of social media by pupils during school hours is not permitted."
CHANGED = "The use of social media by pupils on the school site is not permitted."


@time_machine.travel(date(2026, 11, 24))
def test_the_headteacher_reviews_and_ratifies_the_seed_policy(demo, client):
    users = get_user_model().objects
    head, teacher = users.get(username="head"), users.get(username="teacher")
    slug = "mobile-technology-and-social-media-policy"

    client.force_login(head)
    listing = client.get(reverse("policies:list")).content.decode()
    assert "1 Jan 2021" in listing and "overdue" in listing
    client.post(reverse("policies:review_start", args=[slug]))
    draft = client.get(reverse("policies:draft", args=[slug])).context["form"].instance
    assert SENTENCE in draft.body
    client.post(
        reverse("policies:draft", args=[slug]),
        {"body": draft.body.replace(SENTENCE, CHANGED), "change_summary": "On site"},
    )
    response = client.post(
        reverse("policies:ratify", args=[slug]),
        {"ratified_on": "2026-11-24", "ratified_by": "Governing Body", "next_review_on": ""},
    )
    assert response.status_code == 302

    listing = client.get(reverse("policies:list")).content.decode()
    assert "24 Nov 2027" in listing
    diff = client.get(reverse("policies:diff", args=[slug])).content.decode()
    assert "<ins>on the</ins> school <ins>site</ins>" in diff

    assert Notification.objects.filter(recipient=teacher, title__contains="version 2").exists()
    client.force_login(teacher)
    home = client.get(reverse("home"), follow=True).content.decode()
    assert "Policies to read and acknowledge" in home
    assert "version 2" in home
    client.post(reverse("policies:acknowledge", args=[slug]))
    home = client.get(reverse("home"), follow=True).content.decode()
    assert "Mobile Technology and Social Media Policy" not in home
