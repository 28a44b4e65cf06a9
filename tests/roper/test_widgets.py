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


def _one_of_each_year_group(school):
    """A learner of each year group, every other one with a preferred name, each born on a
    different day; and one who left (inactive)."""
    from datetime import date

    from people.models import YearGroup

    for n, (year, _) in enumerate(YearGroup.choices):
        LearnerFactory(
            school=school,
            year_group=year,
            preferred_name="Zed" if n % 2 else "",
            date_of_birth=date(2010 + n % 9, n % 12 + 1, n % 28 + 1),
        )
    LearnerFactory(school=school, active=False)
    return len(YearGroup.choices)


@pytest.mark.django_db
def test_the_pickers_labels_are_each_learners_label(world):
    """Learner.labeller, the lookups made once for a school's picker: what `label` says, of a
    Learner and of its row alike."""
    from people.models import LABEL_COLUMNS, Learner

    year_groups = _one_of_each_year_group(world.school)
    label, of_row = Learner.labeller(), Learner.labeller(rows=True)
    learners = Learner.objects.filter(school=world.school).order_by("pk")
    assert learners.count() > year_groups
    expected = [learner.label for learner in learners]
    assert [label(learner) for learner in learners] == expected
    assert [of_row(row) for row in learners.values_list(*LABEL_COLUMNS)] == expected


@pytest.mark.django_db
def test_a_learner_picker_offers_what_djangos_own_would(world):
    """The pickers' learners, labelled from their rows (devices/forms.py LearnerChoices): the
    same HTML as Django's own select of the school's active learners, each with its `label`,
    in the same order; another school's learners and one who left are not offered."""
    from devices.forms import SearchForm

    _one_of_each_year_group(world.school)
    field = SearchForm(school=world.school, user=world.users["head"]).fields["learner"]
    django_field = forms.ModelChoiceField(queryset=field.queryset, empty_label=field.empty_label)
    django_field.label_from_instance = lambda learner: learner.label
    ours = field.widget.render("learner", world.learner.pk, {"id": "id_learner"})
    assert ours == forms.Select(choices=django_field.choices).render(
        "learner", world.learner.pk, {"id": "id_learner"}
    )
    assert world.learner.label in ours and "selected" in ours
    assert world.other_learner.name not in ours
    assert ours.count("<option") == 1 + world.school.learners.filter(active=True).count()
