"""The governors' report never tells a subject of an allegation that it exists: not the
headteacher (allegations about the headteacher), not a staff member named in one, in the page,
the CSV, the PDF or the trust view. Governors still see every concern counted."""

import csv
import io
import re

from django.urls import reverse

from devices.models import Confiscation
from incidents.models import Involvement
from tests.factories import MembershipFactory, concern, london
from tests.factories import confiscation_at as confiscation

URL = reverse("reports:governors")
NOW = london(2026, 11, 20)  # in "Autumn 2026 so far" (the views' today is 24 November)


def _csv(client, **params) -> list[list[str]]:
    response = client.get(URL, {"format": "csv", **params})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def _page(client, **params) -> str:
    """The report as the page shows it (its main part, without the form's CSRF token)."""
    html = client.get(URL, params).content.decode()
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", main)


def _row(rows, label) -> list[str]:
    return next(r for r in rows if len(r) > 1 and r[1] == label)


def test_the_heads_report_so_far_does_not_move_with_an_allegation_about_them(
    terms, client, head, governor
):
    client.force_login(head)
    before = _csv(client, term="now")
    page_before = _page(client, term="now")
    allegation = concern(terms.school, "about_head", at=NOW)
    device = confiscation(terms.school, NOW)
    Confiscation.objects.filter(pk=device.pk).update(concern=allegation, reason_kind="abuse")
    after = _csv(client, term="now")
    assert after == before
    assert _page(client, term="now") == page_before
    # A governor (not the subject) still sees it counted: that is the report's purpose.
    client.force_login(governor)
    total = _row(_csv(client, term="now"), "Concerns reported")
    assert total[2] != "0"


def test_the_heads_copy_says_figures_about_allegations_about_the_head_are_not_shown(
    terms, client, head, governor
):
    client.force_login(head)
    rows = _csv(client, term="now")
    assert _row(rows, "Routed to: Chair of governors")[2:] == ["not shown to you"] * 3
    assert "Not shown to you" in [r[0] for r in rows if r]
    html = client.get(URL, {"term": "now"}).content.decode()
    assert "Figures about allegations concerning the headteacher are not shown" in html
    # The governor's copy has the row.
    client.force_login(governor)
    assert _row(_csv(client, term="now"), "Routed to: Chair of governors")[2] == "0"


def test_a_staff_member_named_in_an_allegation_does_not_see_it_counted(terms, client, world, dsl):
    client.force_login(dsl)
    before = _csv(client, term="now")
    made = concern(terms.school, "staff_online_conduct", at=NOW)
    Involvement.objects.create(concern=made, kind="staff", staff=dsl, part="alleged")
    assert _csv(client, term="now") == before


def test_the_trust_view_leaves_out_what_is_concealed_from_its_reader(terms, client, world):
    reader = MembershipFactory(school=None, trust=world.school.trust, roles=["governor"]).user
    client.force_login(reader)
    url = reverse("reports:trust")
    before = client.get(url, {"term": "autumn-2026", "format": "csv"}).content
    made = concern(terms.school, "staff_online_conduct", at=NOW)
    Involvement.objects.create(concern=made, kind="staff", staff=reader, part="alleged")
    assert client.get(url, {"term": "autumn-2026", "format": "csv"}).content == before
    # Another school's concern is counted for them (a trust reader sees every school).
    concern(terms.other_school, at=NOW)
    assert client.get(url, {"term": "autumn-2026", "format": "csv"}).content != before


def test_a_review_opened_from_an_allegation_about_the_head_is_not_counted_for_the_head(
    terms, client, head, governor, chair
):
    import time_machine

    from incidents.services import concern_close
    from tests.factories import ratified_policy

    policy = ratified_policy(terms.school)
    allegation = concern(terms.school, "about_head", at=NOW)
    client.force_login(head)
    before = _csv(client, term="now")
    with time_machine.travel(NOW):
        concern_close(
            concern=allegation,
            by=chair,
            decision="Referred to the LADO",
            reason="Advice followed",
            outcome="Closed",
            lessons_learnt="The chair must be told on the day.",
            policy=policy,
        )
    assert _row(_csv(client, term="now"), "Policy reviews opened from lessons learnt") == _row(
        before, "Policy reviews opened from lessons learnt"
    )
    client.force_login(governor)
    # The governor's copy counts it (below three, as "fewer than 3").
    assert _row(_csv(client, term="now"), "Policy reviews opened from lessons learnt")[2] != "0"
