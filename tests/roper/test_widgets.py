"""roper/widgets.py: QuickSelect writes the HTML Django's Select writes, byte for byte, in a
fraction of the time; the forms that list a school's learners or concerns use it."""

import pytest
from django import forms
from django.urls import reverse

from roper.widgets import QuickSelect
from tests.factories import LearnerFactory, learner_concern

CHOICES = [
    ("", "---------"),
    (1, 'Zoë "Zed" <O\'Neil> & co'),
    ("2", "Plain"),
    (3, "Third"),
]


@pytest.mark.parametrize(
    ("value", "attrs", "choices"),
    [
        (None, {}, CHOICES),
        (1, {"class": "form-select", "id": "id_learner", "required": True}, CHOICES),
        ("2", {"aria-describedby": 'a"b', "disabled": False, "autofocus": True}, CHOICES),
        ([3], {"data-x": "<script>"}, CHOICES),
        (
            "b",
            {},
            [("Group <one>", [("a", "A"), ("b", "B & b")]), ("c", "C"), ("Two", [("d", "D")])],
        ),
        (None, {}, []),
    ],
)
def test_a_quick_select_is_djangos_select_byte_for_byte(value, attrs, choices):
    django_select = forms.Select(attrs=attrs, choices=choices)
    quick = QuickSelect(attrs=attrs, choices=choices)
    for required in (False, True):
        django_select.is_required = quick.is_required = required
        assert quick.render("learner", value, {"id": "x"}) == django_select.render(
            "learner", value, {"id": "x"}
        )


@pytest.mark.django_db
def test_a_model_choice_field_renders_alike_in_a_form(world):
    from devices.forms import ConfiscationForm

    LearnerFactory(school=world.school, legal_first_name='Zoë <"b">', legal_last_name="&Co")
    form = ConfiscationForm(school=world.school, user=world.users["head"])
    field = form.fields["learner"]
    assert isinstance(field.widget, QuickSelect) and field.widget.is_required
    plain = forms.Select(attrs=field.widget.attrs, choices=field.choices)
    plain.is_required = True
    bound = form["learner"]
    assert field.widget.render("learner", world.learner.pk, {"id": bound.auto_id}) == (
        plain.render("learner", world.learner.pk, {"id": bound.auto_id})
    )
    assert "Zoë &lt;&quot;b&quot;&gt; &amp;Co" in str(bound)


@pytest.mark.django_db
def test_a_confiscation_lists_the_open_concerns_and_the_one_it_was_opened_for(world, as_user):
    from incidents import services as incidents_services
    from incidents.models import Concern

    teacher = world.users["teacher"]
    open_one = learner_concern(world)
    closed = learner_concern(world)
    incidents_services.concern_withdraw(
        concern=closed,
        by=world.users["dsl"],
        full=True,
        withdrawn_as=Concern.Withdrawal.ERROR,
        reason="Reported in error",
    )
    client = as_user(teacher)
    page = client.get(reverse("devices:confiscation_new")).content.decode()
    assert f'<option value="{open_one.pk}">' in page
    assert f'value="{closed.pk}"' not in page
    # Opened from the concern's page: that concern, chosen, whatever its state.
    page = client.get(reverse("devices:confiscation_new"), {"concern": closed.pk}).content
    assert f'<option value="{closed.pk}" selected>' in page.decode()
    response = client.post(
        f"{reverse('devices:confiscation_new')}?concern={closed.pk}",
        {
            "learner": world.learner.pk,
            "device": "Black iPhone",
            "reason_kind": "lesson",
            "reason": "Used in the lesson",
            "held_at": "Office safe",
            "concern": closed.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert world.learner.confiscations.get().concern == closed


@pytest.mark.django_db
def test_the_pickers_labels_are_each_learners_label(world):
    """Learner.labeller, the lookups made once for a school's picker: what `label` says."""
    from datetime import date

    from people.models import Learner, YearGroup

    for n, (year, _) in enumerate(YearGroup.choices):
        LearnerFactory(
            school=world.school,
            year_group=year,
            preferred_name="Zed" if n % 2 else "",
            date_of_birth=date(2010 + n % 9, n % 12 + 1, n % 28 + 1),
        )
    label = Learner.labeller()
    learners = list(Learner.objects.filter(school=world.school))
    assert len(learners) > len(YearGroup.choices)
    assert [label(learner) for learner in learners] == [learner.label for learner in learners]
