"""The desk's list is drawn in Python (devices/desk.py, `result_rows`): the same HTML, byte
for byte, as the template drew it before (issue 17), for every kind of row: not in, in with
or without a pouch and with who may collect, collected, exempt, with a parent-contact
exception (long, with markup), at the morning rush and from home time."""

from datetime import timedelta

import pytest
import time_machine
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils.html import format_html

from devices import desk, services
from devices.models import DeskEntry, ParentContactException
from tests.devices.test_desk_sql import AFTERNOON, MORNING, QUERIES, TODAY, busy_school  # noqa: F401
from tests.factories import GuardianFactory, GuardianshipFactory

pytestmark = pytest.mark.django_db

#: The template as it was: each row drawn by the template's loop.
BEFORE = Template(
    """{% if q|length < min_chars %}
{% elif not results %}<p class="mt-2">No learner matches “{{ q }}”.</p>
{% else %}
<table class="table table-sm align-middle mt-2 desk-results">
  <caption class="visually-hidden">Learners matching “{{ q }}”; Enter acts on the first</caption>
  <thead><tr><th scope="col">Learner</th><th scope="col">Class</th><th scope="col">Phone today</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>
  {% for learner in results %}
    <tr{% if forloop.first %} class="table-active"{% endif %}>
      <th scope="row">{{ learner.name }} <span class="d-block small fw-normal text-body-secondary">{{ learner.get_year_group_display }}, born {{ learner.date_of_birth|date:"j M Y" }}</span>
        {% if learner.parent_contact %}<span class="d-block small fw-normal mt-1 parent-contact"><span class="badge text-bg-warning">Parent contact allowed</span> {{ learner.parent_contact|truncatechars:160 }}{% if learner.parent_contact_until %} (until {{ learner.parent_contact_until|date:"j M Y" }}){% endif %}</span>{% endif %}</th>
      <td>{{ learner.class_name }}</td>
      <td>{% if learner.exemption %}<span class="badge text-bg-info">Exempt</span> {{ learner.exemption.label }}
        {% elif not learner.today %}Not in
        {% elif learner.today.out_at %}Collected {{ learner.today.out_at|time:"H:i" }}
        {% else %}In since {{ learner.today.in_at|time:"H:i" }}{% if learner.today.tag %} · pouch {{ learner.today.tag }}{% endif %}{% endif %}</td>
      <td>
        {% if learner.exemption %}
        {% elif not learner.today %}
        <form method="post" action="{% url 'devices:desk_check_in' learner.pk %}" hx-post="{% url 'devices:desk_check_in' learner.pk %}" hx-target="#desk-state" hx-include="#desk-tag" class="desk-action">{% csrf_token %}
          <button class="btn btn-sm btn-primary" type="submit">Check in<span class="visually-hidden"> {{ learner.name }}</span></button>
        </form>
        {% elif not learner.today.out_at %}
        <form method="post" action="{% url 'devices:desk_check_out' learner.pk %}" hx-post="{% url 'devices:desk_check_out' learner.pk %}" hx-target="#desk-state" class="desk-action d-flex gap-1">{% csrf_token %}
          <label class="visually-hidden" for="collector-{{ learner.pk }}">Collected by</label>
          <select class="form-select form-select-sm" id="collector-{{ learner.pk }}" name="guardian">
            <option value="">The learner</option>
            {% for link in learner.collectors %}<option value="{{ link.guardian_id }}">{{ link.guardian.name }} ({{ link.relationship }})</option>{% endfor %}
          </select>
          <button class="btn btn-sm btn-secondary" type="submit">Check out<span class="visually-hidden"> {{ learner.name }}</span></button>
        </form>
        {% endif %}
      </td>
    </tr>
  {% endfor %}
  </tbody>
</table>
{% endif %}
"""  # noqa: E501
)
TOKEN = "a-token-<&>"


def _both(school, q):
    results = desk.search(school=school, q=q, day=TODAY)
    context = {"results": results, "q": q, "min_chars": desk.MIN_CHARS}
    before = BEFORE.render(Context({**context, "csrf_token": TOKEN}))
    field = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', TOKEN)
    now = render_to_string(
        "devices/partials/_desk_results.html",
        {**context, "rows": desk.result_rows(results, field)},
    )
    return before, now, results


@pytest.mark.parametrize("now", [MORNING, AFTERNOON], ids=["morning", "home time"])
def test_the_rows_are_the_templates_byte_for_byte(busy_school, now):  # noqa: F811
    school = busy_school
    learners = list(school.learners.order_by("pk"))
    for n, learner in enumerate(learners[::3]):
        for relationship in ("Mother", 'Step-dad "Al" <b>'):
            GuardianshipFactory(
                learner=learner,
                guardian=GuardianFactory(school=school, name=f"O'Brien & Sons {n}"),
                relationship=relationship,
                may_collect=True,
            )
    ParentContactException.objects.filter(school=school).update(
        details="Mum rings at <lunch> & after school. " * 6
    )
    kinds = set()
    with time_machine.travel(now, tick=False):
        for q in QUERIES:
            before, after, results = _both(school, q)
            assert after == before, q
            for lr in results:
                kinds.add(
                    "exempt"
                    if lr.exemption
                    else "not in"
                    if lr.today is None
                    else "collected"
                    if lr.today.out_at
                    else "held, collectors"
                    if lr.collectors
                    else "held"
                )
                if lr.parent_contact:
                    kinds.add("until" if lr.parent_contact_until else "contact")
    # Every kind of row was compared, not only the commonest.
    assert kinds >= {"exempt", "not in", "collected", "held", "held, collectors", "contact"}


#: The last entries' row as its template drew it (devices/partials/_desk_entry.html).
ENTRY_BEFORE = Template(
    """      <tr{% if entry.undone %} class="text-decoration-line-through text-body-secondary"{% endif %}>
        <td>{{ entry.at|time:"H:i" }}</td>
        <td>{{ entry.handover.learner.name }} <span class="text-body-secondary">{{ entry.handover.learner.details }}</span></td>
        <td>{{ entry.get_kind_display }}{% if entry.kind == "out" and entry.handover.collected_by %} ({{ entry.handover.collected_by.name }}){% endif %}</td>
        <td>{% if entry.can_undo %}
          <form method="post" action="{% url 'devices:desk_undo' entry.pk %}" hx-post="{% url 'devices:desk_undo' entry.pk %}" hx-target="#desk-state">{% csrf_token %}
            <button class="btn btn-sm btn-link p-0" type="submit">Undo<span class="visually-hidden"> {{ entry.get_kind_display|lower }} of {{ entry.handover.learner.name }}</span></button>
          </form>{% endif %}</td>
      </tr>
"""  # noqa: E501
)


def test_the_last_entries_rows_are_the_templates_byte_for_byte(world, office):
    """Every kind of entry: a check-in that may still be undone, one too old to, an undone
    one, a check-out to a parent and one by the learner, for a name with markup in it."""
    learner = world.learner
    learner.legal_first_name, learner.preferred_name = "<b>Amy</b> & Co", ""
    learner.save()
    parent = GuardianFactory(name="Mr <i>O'Brien</i>")
    GuardianshipFactory(learner=learner, guardian=parent, may_collect=True)
    field = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', TOKEN)
    with time_machine.travel(MORNING, tick=False):
        handover = services.handover_check_in(learner=learner, by=office, tag="P9")
        services.handover_check_out(learner=learner, by=office, guardian=parent)
        services.handover_undo(entry=DeskEntry.objects.get(kind="out"), by=office)
        services.handover_check_out(learner=learner, by=office)
    with time_machine.travel(MORNING + timedelta(minutes=3), tick=False):
        entries = desk.last_entries(school=world.school, day=TODAY)
        assert {e.kind for e in entries} == {"in", "out", "undo_out"}
        assert any(e.undone for e in entries) and any(e.can_undo for e in entries)
        assert handover.pk == entries[0].handover_id
        for entry in entries:
            before = ENTRY_BEFORE.render(Context({"entry": entry, "csrf_token": TOKEN}))
            (row,) = desk.entry_rows([entry], field)
            assert row == before
    with time_machine.travel(MORNING + timedelta(minutes=30), tick=False):
        entries = desk.last_entries(school=world.school, day=TODAY)
        assert not any(e.can_undo for e in entries)
        for entry in entries:
            before = ENTRY_BEFORE.render(Context({"entry": entry, "csrf_token": TOKEN}))
            assert desk.entry_rows([entry], field) == [before]
