"""A form sent back with errors says so at the top of the page (the GOV.UK error summary): the
title starts with "Error: ", and each problem, in plain words, links to its field."""

import re

from django.urls import reverse


def _summary(html: str) -> str:
    match = re.search(r'<div class="alert alert-danger error-summary".*?</div>', html, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def test_the_concern_form_sent_empty_lists_each_problem_linked_to_its_field(as_user, teacher):
    empty = {"people-TOTAL_FORMS": "1", "people-INITIAL_FORMS": "0"}
    response = as_user(teacher).post(reverse("incidents:new"), empty)
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<title>Error: Report a concern", html)
    summary = _summary(html)
    assert "There is a problem" in summary
    assert '<a class="alert-link" href="#id_category">Choose an answer for “Category”.</a>' in (
        summary
    )
    assert 'href="#id_what_happened">Fill in “What happened' in summary
    # The field's own message says the same, not Django's "This field is required."
    assert "This field is required." not in html


def test_a_page_without_errors_has_no_summary(as_user, teacher):
    html = as_user(teacher).get(reverse("incidents:new")).content.decode()
    assert "error-summary" not in html
    assert "<title>Error:" not in html


def test_the_sign_in_form_says_what_went_wrong_at_the_top(client, teacher):
    response = client.post(reverse("login"), {"username": "teacher", "password": "wrong"})
    html = response.content.decode()
    assert html.count("<title>Error: ") == 1
    assert "There is a problem" in _summary(html)
