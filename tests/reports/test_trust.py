import csv
import io

import pytest
import time_machine
from django.urls import reverse

from tests.factories import MembershipFactory, SchoolFactory, concern, london, term

URL = reverse("reports:governors")
TRUST_URL = reverse("reports:trust")


@pytest.fixture
def trust_governor(terms):
    return MembershipFactory(
        school=None, trust=terms.school.trust, roles=["governor"], user__username="trustee"
    ).user


def test_a_trust_governor_opens_each_schools_report(terms, as_user, trust_governor):
    client = as_user(trust_governor)
    for school in (terms.school, terms.other_school):
        summer = term(school, "summer", 2026)
        response = client.get(URL, {"term": summer.pk})
        assert response.status_code == 200
        assert school.name in response.content.decode()


def test_the_trust_view_shows_each_school_side_by_side_and_the_totals(
    terms, as_user, trust_governor
):
    for _ in range(4):
        concern(terms.school, "device_misuse", london(2026, 5, 5))
    for _ in range(5):
        concern(terms.other_school, "device_misuse", london(2026, 5, 5))
    concern(terms.other_school, "social_media", london(2026, 5, 5))
    SchoolFactory(trust=SchoolFactory().trust)  # another trust's school: never shown
    client = as_user(trust_governor)
    response = client.get(TRUST_URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Summer 2026" in html
    for name in (terms.school.name, terms.other_school.name, "Trust total"):
        assert f'<th scope="col" class="num">{name}</th>' in html
    rows = {
        r[1]: r[2:]
        for r in csv.reader(
            io.StringIO(
                client.get(TRUST_URL, {"term": "summer-2026", "format": "csv"}).content.decode()
            )
        )
        if len(r) > 2
    }
    # The trust's total; the schools' totals would let the small count be worked out.
    assert rows["Concerns reported"] == ["not shown", "not shown", "10"]
    # One social-media concern at one school: small, and neither the school's other figures
    # nor the trust's total reveals it.
    social = rows["Learner social media concern, including under-13 use (§6.1, §8.3)"]
    assert social[1] == "fewer than 3"
    assert "1" not in social
    misuse = rows["Learner device misuse or breach (§5.3)"]
    assert misuse[1] == "not shown"


def test_the_trust_pdf(terms, as_user, trust_governor):
    response = as_user(trust_governor).get(TRUST_URL, {"format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_school_roles_do_not_open_the_trust_view(terms, as_user, governor, head):
    assert as_user(governor).get(TRUST_URL).status_code == 403
    assert as_user(head).get(TRUST_URL).status_code == 403


def test_a_trust_role_that_does_not_read_reports_does_not_open_it(terms, as_user):
    admin = MembershipFactory(school=None, trust=terms.school.trust, roles=["admin"]).user
    assert as_user(admin).get(TRUST_URL).status_code == 403


def test_an_unknown_term_or_trust_is_not_found(terms, as_user, trust_governor):
    client = as_user(trust_governor)
    assert client.get(TRUST_URL, {"term": "winter-1999"}).status_code == 404
    assert client.get(TRUST_URL, {"trust": "999999"}).status_code == 404


def test_in_the_summer_holiday_both_pickers_offer_the_autumn_term_so_far(
    terms, as_user, trust_governor
):
    # One current-term rule (people.calendar): the holiday before a term belongs to its span.
    client = as_user(trust_governor)
    with time_machine.travel(london(2026, 8, 5, 9), tick=False):
        school_page = client.get(URL).content.decode()
        trust_page = client.get(TRUST_URL).content.decode()
    assert "Autumn 2026 so far" in school_page
    assert "Autumn 2026 so far" in trust_page
