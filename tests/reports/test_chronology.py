"""A learner's chronology (reports/chronology.py): each row's time, links and notes are
formatted once in Python; the page shows what the template's `|date`, `{% url %}` and
`|linebreaksbr` showed, and its number of queries does not grow with the years of history."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from devices.models import Confiscation
from incidents.models import Concern, Entry
from incidents.services import concern_withdraw
from reports.chronology import learner_chronology
from tests.factories import confiscation, report

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")

#: The table's rows as the template wrote them before (issue 17), to compare with the page.
BEFORE = Template(
    """{% for ev in events %}
  <tr><td>{{ ev.at|date:"j M Y H:i" }}</td><td>{{ ev.kind }}</td><td>{% if ev.confiscation %}<a href="{% url 'devices:confiscation' ev.confiscation.pk %}">confiscation #{{ ev.confiscation.pk }}</a>{% if ev.concern %}, {% endif %}{% endif %}{% if ev.concern %}<a href="{% url 'incidents:detail' ev.concern.pk %}">#{{ ev.concern.pk }}</a>{% endif %}</td><td>{{ ev.detail }}</td><td>{{ ev.text|linebreaksbr }}</td></tr>
  {% empty %}<tr><td colspan="5">Nothing recorded that you may see.</td></tr>{% endfor %}"""  # noqa: E501
)


def a_year_of_history(world, year: int):
    """A concern about the learner (reported in the winter, GMT), its triage, a parent contact
    and a referral (in the summer, BST), and a confiscation linked to it; one confiscation
    linked to nothing."""
    reported = datetime(year, 1, 5, 8, 7, tzinfo=LONDON)
    concern = report(
        world.school,
        world.users["teacher"],
        "social_media",
        people=[(world.learner, "child")],
        when=reported,
        what_happened="He said <b>hi</b> & left.\r\nThen he came back.\nTwice.",
    )
    Entry.objects.create(
        concern=concern, kind=Entry.Kind.TRIAGE, at=reported + timedelta(hours=2), text="Low"
    )
    Entry.objects.create(
        concern=concern,
        kind=Entry.Kind.PARENT_CONTACT,
        at=datetime(year, 7, 14, 23, 30, tzinfo=LONDON),
        contact_who="Mother",
        text="Told by phone.",
    )
    Entry.objects.create(
        concern=concern,
        kind=Entry.Kind.REFERRAL,
        referral="police",
        at=datetime(year, 6, 1, 9, 0, tzinfo=LONDON),
        referred_at=datetime(year, 5, 31, 17, 45, tzinfo=LONDON),
        text="Reference 123",
    )
    Entry.objects.create(concern=concern, kind=Entry.Kind.ADDITION, text="Not a chronology row")
    with time_machine.travel(datetime(year, 3, 9, 10, 0, tzinfo=LONDON), tick=False):
        linked = confiscation(world.learner, world.users["teacher"], reason="Filming <again>")
    Confiscation.objects.filter(pk=linked.pk).update(concern=concern)
    with time_machine.travel(datetime(year, 10, 1, 12, 0, tzinfo=LONDON), tick=False):
        confiscation(world.learner, world.users["teacher"], device="Tablet")
    return concern


def _rows(html: str) -> str:
    return html[html.index("<tbody>") + len("<tbody>") : html.index("</tbody>")].strip()


def test_the_page_shows_the_same_rows_links_and_times_as_before(world, as_user):
    for year in (2024, 2025):
        a_year_of_history(world, year)
    dsl = world.users["dsl"]
    page = as_user(dsl).get(reverse("reports:chronology", args=[world.learner.pk])).text
    shown = _rows(page)

    before = BEFORE.render(
        Context({"events": learner_chronology(learner=world.learner, user=dsl)})
    ).strip()
    assert shown == before
    # And what that means to a reader: local times (GMT and BST), both links, escaped notes.
    assert "<td>5 Jan 2024 08:07</td>" in shown
    assert "<td>31 May 2025 17:45</td>" in shown and "<td>14 Jul 2025 23:30</td>" in shown
    assert re.search(r'<a href="/devices/confiscations/\d+/">confiscation #\d+</a>, ', shown)
    assert re.search(r'<a href="/incidents/\d+/">#\d+</a></td>', shown)
    assert "He said &lt;b&gt;hi&lt;/b&gt; &amp; left.<br>Then he came back.<br>Twice." in shown
    assert "Filming &lt;again&gt;" in shown
    assert shown.count("<tr>") == 2 * 6  # a year: the concern, 3 entries, 2 confiscations
    assert "Not a chronology row" not in shown


def test_an_empty_chronology_says_so(world, as_user):
    page = as_user(world.users["dsl"]).get(reverse("reports:chronology", args=[world.learner.pk]))
    assert '<tr><td colspan="5">Nothing recorded that you may see.</td></tr>' in page.text


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_three_years_of_history_take_the_queries_of_one(world, as_user):
    client = as_user(world.users["dsl"])
    url = reverse("reports:chronology", args=[world.learner.pk])
    a_year_of_history(world, 2023)
    client.get(url)
    one_year = _queries(client, url)
    a_year_of_history(world, 2024)
    a_year_of_history(world, 2025)
    client.get(url)  # the unread badge's count, read again after the concerns notified the DSL
    assert _queries(client, url) == one_year
    assert client.get(url).text.count("Concern reported") == 3


def test_a_withdrawn_concern_shows_its_withdrawal_and_why(world, as_user):
    concern = report(
        world.school, world.users["teacher"], "social_media", people=[(world.learner, "child")]
    )
    concern_withdraw(
        concern=concern,
        by=world.users["dsl"],
        full=True,
        withdrawn_as=Concern.Withdrawal.ERROR,
        reason="The office reported the wrong class",
    )
    page = as_user(world.users["dsl"]).get(reverse("reports:chronology", args=[world.learner.pk]))
    row = next(r for r in _rows(page.text).split("</tr>") if "Withdrawn" in r)
    assert "Reported in error. Reason: The office reported the wrong class" in row
