"""The desk's list is drawn in Python (devices/desk.py, `result_rows`): the same HTML, byte
for byte, as the template drew it before (issue 17), for every kind of row: not in, in with
or without a pouch and with who may collect, collected, exempt, with a parent-contact
exception (long, with markup), at the morning rush and from home time."""

import pytest
import time_machine
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils.html import format_html

from devices import desk
from devices.models import ParentContactException
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
