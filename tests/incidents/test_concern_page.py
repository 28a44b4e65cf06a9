"""The concern page: the referrals still to record, a fixed number of queries however long
the timeline and however many people may triage, and a timeline formatted once in Python
that shows what the template's tags showed."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from devices.models import Confiscation
from incidents.models import Concern, Entry
from tests.conftest import badge_queries, session_queries
from tests.factories import (
    MembershipFactory,
    UserFactory,
    confiscation_at,
    learner_concern,
    report,
)

LONDON = ZoneInfo("Europe/London")

#: The timeline's entries as the template wrote them before (issue 17), to compare with the
#: page (incidents/timeline.py).
BEFORE = Template(
    """  {% for entry in entries %}
  <li class="border-start border-3 ps-3 mb-3">
    <h3 class="h6 mb-1">{{ entry.get_kind_display }}{% if entry.referral %}: {{ entry.get_referral_display }}{% endif %}
      <small class="text-body-secondary">{{ entry.at|date:"j M Y H:i" }}{% if entry.author %}, {{ entry.author.get_full_name|default:entry.author.username }}{% endif %}</small></h3>
    {% if entry.risk_level %}<p class="mb-1">Risk: {{ entry.get_risk_level_display }}{% if entry.owner %} · owner: {{ entry.owner.get_full_name }}{% endif %}</p>{% endif %}
    {% if entry.kind == "action" %}<p class="mb-1">Who: {% if entry.assignee %}{{ entry.assignee.get_full_name|default:entry.assignee.username }}{% else %}{{ entry.action_by|default:"nobody named" }}{% endif %}{% if entry.action_due %} · due {{ entry.action_due|date:"j M Y" }}{% endif %} ·
      {% if entry.action_done %}done{% if entry.action_done_at %} by {% include "incidents/partials/_who.html" with who=entry.action_done_by %} on {{ entry.action_done_at|date:"j M Y H:i" }}{% endif %}{% else %}not done yet{% endif %}</p>
      {% if entry.pk in may_mark_done %}<form method="post" action="{% url 'incidents:action_done' concern.pk entry.pk %}" class="mb-1">{% csrf_token %}
        <button class="btn btn-outline-success btn-sm" type="submit">Mark this action done</button></form>{% endif %}
    {% endif %}
    {% if entry.referred_at %}<p class="mb-1">When: {{ entry.referred_at|date:"j M Y H:i" }}</p>{% endif %}
    {% if entry.police_reference %}<p class="mb-1">Police reference: {{ entry.police_reference }}</p>{% endif %}
    {% if entry.referral_outcome %}<p class="mb-1">Outcome: {{ entry.referral_outcome }}</p>{% endif %}
    {% if entry.contact_who %}<p class="mb-1">Told: {{ entry.contact_who }} ({{ entry.contact_how }})</p>{% endif %}
    {% if entry.not_told_reason %}<p class="mb-1">Not told because: {{ entry.not_told_reason }}</p>{% endif %}
    {% if entry.text %}<p class="mb-1">{{ entry.text|linebreaksbr }}</p>{% endif %}
  </li>
  {% endfor %}"""  # noqa: E501
)


def test_the_page_lists_the_required_referrals_not_yet_recorded(world, as_user):
    concern = report(
        world.school,
        world.users["office"],
        "staff_illegal",
        people=[(world.users["leadership"], "alleged")],
    )
    head = as_user(world.users["head"])
    url = reverse("incidents:detail", args=[concern.pk])
    assert "still to record: Police, LADO" in head.get(url).content.decode()
    Entry.objects.create(concern=concern, kind="referral", referral="lado")
    page = head.get(url).content.decode()
    assert "still to record: Police<" in page


@pytest.mark.parametrize(("persona", "queries"), [("head", 12), ("dsl", 11)])
def test_the_page_makes_the_same_few_queries_for_a_long_timeline(
    persona, queries, world, as_user, django_assert_max_num_queries
):
    concern = learner_concern(world)
    client = as_user(world.users[persona])
    url = reverse("incidents:detail", args=[concern.pk])
    client.get(url)  # the first view marks it read
    # A short timeline naming one person (their names are read once, for all the entries).
    Entry.objects.create(concern=concern, kind="note", author=world.users["head"], text="One")
    with CaptureQueriesContext(connection) as short:
        client.get(url)
    Entry.objects.bulk_create(
        Entry(concern=concern, kind="note", author=world.users["dsl"], text=f"Note number {n}")
        for n in range(200)
    )
    for _ in range(3):  # more people the concern could be passed to
        MembershipFactory(school=world.school, roles=["deputy_dsl"])
    for n in range(3):  # phones confiscated with it (each was a query: a deferred concern_id)
        confiscation = confiscation_at(world.school, timezone.now(), reason=f"Phone {n}")
        Confiscation.objects.filter(pk=confiscation.pk).update(concern=concern, device=f"Ph{n}")
    with (
        django_assert_max_num_queries(queries + session_queries() + badge_queries()),
        CaptureQueriesContext(connection) as long,
    ):
        response = client.get(url)
    assert len(long) == len(short)
    assert "Note number 199" in response.content.decode()
    assert "Ph2 (" in response.content.decode()


def test_the_record_forms_are_drawn_only_when_opened_and_work_without_javascript(world, as_user):
    """Issue 17: the page no longer draws every record form (−4 queries, was 16 for the head);
    each is fetched when its section is opened, or is a page of its own without JavaScript."""
    concern = learner_concern(world)
    dsl = as_user(world.users["dsl"])
    page = dsl.get(reverse("incidents:detail", args=[concern.pk])).content.decode()
    record = reverse("incidents:record", args=[concern.pk, "triage"])
    assert 'name="triage-risk_level"' not in page
    assert f'hx-get="{record}"' in page and f'href="{record}"' in page
    alone = dsl.get(record).content.decode()  # no JavaScript: the form on its own page
    assert 'name="triage-risk_level"' in alone and "<html" in alone
    assert f"Back to concern {concern.pk}" in alone
    part = dsl.get(record, HTTP_HX_REQUEST="true").content.decode()  # htmx: the form alone
    assert 'name="triage-risk_level"' in part and "<html" not in part
    # A form sent back with an error is drawn open in the page, with what was typed.
    response = dsl.post(record, {"triage-text": "Seen, no risk level"})
    assert response.status_code == 400
    assert "Seen, no risk level" in response.content.decode()


def test_a_closed_concern_takes_no_more_entries_and_says_so(world, as_user):
    concern = learner_concern(world)
    Concern.objects.filter(pk=concern.pk).update(status=Concern.Status.CLOSED)
    dsl = as_user(world.users["dsl"])
    before = Entry.objects.count()
    for url, data in (
        (reverse("incidents:record", args=[concern.pk, "note"]), {"note-text": "Late note"}),
        (reverse("incidents:add", args=[concern.pk]), {"text": "Late information"}),
    ):
        response = dsl.post(url, data, follow=True)
        assert response.redirect_chain[-1][0] == reverse("incidents:detail", args=[concern.pk])
        assert "This concern is closed." in response.content.decode()
    assert Entry.objects.count() == before


def test_the_timeline_shows_the_same_entries_as_before(world, as_user):
    concern = learner_concern(world)
    dsl, teacher = world.users["dsl"], world.users["teacher"]
    gone = UserFactory(first_name="", last_name="", username="left.school")
    winter = datetime(2026, 1, 5, 8, 7, tzinfo=LONDON)
    summer = datetime(2026, 7, 14, 23, 30, tzinfo=LONDON)
    entries = [
        {"kind": "addition", "author": teacher, "text": "He said <b>hi</b> & left.\r\nThen back."},
        {
            "kind": "triage",
            "author": dsl,
            "at": winter,
            "risk_level": "high",
            "owner": dsl,
            "text": "High",
        },
        {"kind": "triage", "author": None, "at": summer, "risk_level": "low", "text": ""},
        {"kind": "action", "author": dsl, "assignee": teacher, "action_due": date(2026, 2, 3)},
        {"kind": "action", "author": dsl, "action_by": "Mrs O'Brien <form tutor>"},
        {"kind": "action", "author": dsl, "action_done": True, "action_done_at": summer},
        {
            "kind": "action",
            "author": dsl,
            "action_done": True,
            "action_done_by": teacher,
            "action_done_at": winter,
            "assignee": gone,
        },
        {"kind": "action", "author": dsl, "action_done": True},
        {
            "kind": "referral",
            "author": dsl,
            "referral": "social_care",
            "referred_at": summer,
            "police_reference": "",
            "referral_outcome": "Strategy meeting\nset",
            "text": "Rang",
        },
        {"kind": "referral", "author": gone, "referral": "police", "police_reference": "CAD 1 & 2"},
        {"kind": "parent_contact", "author": dsl, "contact_who": "Mother", "contact_how": "phone"},
        {"kind": "parent_contact", "author": dsl, "not_told_reason": "Would put the child at risk"},
        {"kind": "note", "author": dsl, "text": "Multi\n\nline <note>"},
    ]
    for fields in entries:
        Entry.objects.create(concern=concern, **fields)
    client = as_user(dsl)
    url = reverse("incidents:detail", args=[concern.pk])
    client.get(url)  # the first view marks it read
    response = client.get(url)
    page = response.content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    context = response.context
    before = BEFORE.render(
        Context(
            {
                "entries": context["entries"],
                "may_mark_done": context["may_mark_done"],
                "concern": concern,
                "csrf_token": token,
            }
        )
    )
    assert len(context["entries"]) == len(entries)
    assert before in page
    # And what that means to a reader: local times (GMT and BST), escaped text, the forms.
    assert "5 Jan 2026 08:07" in before and "14 Jul 2026 23:30" in before
    assert "He said &lt;b&gt;hi&lt;/b&gt; &amp; left.<br>Then back." in before
    assert "Who: Mrs O&#x27;Brien &lt;form tutor&gt;" in before
    assert "Referral: Children&#x27;s social care" in before
    assert "done by a former user on 14 Jul 2026 23:30" in before
    assert before.count("Mark this action done") == 2


#: The access log's rows as the template wrote them before (issue 17).
ACCESS_BEFORE = Template(
    """{% for v in views %}<tr><td>{{ v.user_name }}</td><td>{{ v.at|date:"j M Y H:i" }}</td><td>{% if v.outcome == "refused" %}<span class="badge text-bg-danger">Refused</span> {{ v.action }} {{ v.what }}{% else %}{{ v.get_action_display }} {{ v.what }}{% endif %}</td></tr>{% endfor %}"""  # noqa: E501
)


def test_the_access_log_shows_the_same_rows_as_before(world, as_user):
    from roper.models import AccessLog

    concern = learner_concern(world)
    dsl = world.users["dsl"]
    common = {"school": world.school, "obj": concern}
    with time_machine.travel(datetime(2026, 7, 14, 23, 30, tzinfo=LONDON), tick=False):
        AccessLog.record_access(user=dsl, what="concern <b>1</b> & more", **common)
        AccessLog.record_access(
            user=world.users["teacher"], outcome=AccessLog.Outcome.REFUSED, what="concern", **common
        )
        AccessLog.record_access(
            user=dsl, action=AccessLog.Action.DOWNLOAD, what="evidence", **common
        )
    response = as_user(dsl).get(reverse("incidents:detail", args=[concern.pk]))
    page = response.content.decode()
    logged = AccessLog.objects.filter(object_id=concern.pk).order_by("-pk")
    before = ACCESS_BEFORE.render(Context({"views": logged}))
    assert len(logged) == len(response.context["views"]) == 4  # the three above and this view
    assert f"<tbody>{before}</tbody>" in page
    assert "14 Jul 2026 23:30" in before and "concern &lt;b&gt;1&lt;/b&gt; &amp; more" in before
    assert "Refused</span> view concern" in before and "Downloaded evidence" in before


def test_the_add_information_form_is_drawn_blank_and_again_with_its_errors(world, as_user):
    concern = learner_concern(world)
    client = as_user(world.users["dsl"])
    url = reverse("incidents:detail", args=[concern.pk])
    blank = client.get(url).content.decode()
    assert 'name="text"' in blank and 'name="evidence"' in blank
    assert "is-invalid" not in blank
    # The blank form is the same on every page, drawn once: a second concern's is identical.
    other = learner_concern(world)
    again = client.get(reverse("incidents:detail", args=[other.pk])).content.decode()
    part = re.compile(r'(<div id="div_id_text".*?)<button class="btn btn-secondary"', re.S)
    assert part.search(blank).group(1) == part.search(again).group(1)
    # Sent back empty: drawn afresh, with its error, and the next blank one has none.
    sent = client.post(reverse("incidents:add", args=[concern.pk]), {"text": ""})
    assert sent.status_code == 400
    assert "Fill in “Information to add”." in part.search(sent.content.decode()).group(1)
    assert "is-invalid" not in part.search(client.get(url).content.decode()).group(1)


@pytest.mark.postgres
def test_the_access_log_is_read_newest_first_from_its_index(world, as_user):
    """A record viewed for years: the page reads its 50 newest views from the index, not every
    view ever made sorted (roper/migrations/0009_accesslog_record_newest.py)."""
    concern = learner_concern(world)
    client = as_user(world.users["dsl"])
    url = reverse("incidents:detail", args=[concern.pk])
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    sql = next(q["sql"] for q in queries.captured_queries if 'FROM "roper_accesslog"' in q["sql"])
    with connection.cursor() as cursor:
        # Whatever the table's statistics: a plan that needs no sort is taken when there is one.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "accesslog_record_newest" in plan
    assert "Sort" not in plan
