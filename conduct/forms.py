from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from conduct.models import Breach
from devices.forms import LearnerChoiceMixin
from devices.models import Confiscation, ConfiscationReason
from incidents.visibility import without_concealed
from people.models import Membership

DATETIME = "%Y-%m-%dT%H:%M"


class BreachForm(LearnerChoiceMixin, forms.ModelForm):
    """A breach, with an optional confiscation made in the same step (or an open one linked),
    and, once Roper has shown the ladder's step, the step applied and why when another."""

    confiscate = forms.BooleanField(
        label="I confiscated the phone: record the confiscation too", required=False
    )
    device = forms.CharField(label="Device description", max_length=200, required=False)
    held_at = forms.CharField(label="Where it is held", max_length=200, required=False)
    reason_kind = forms.ChoiceField(
        label="Reason for the confiscation",
        choices=ConfiscationReason.choices,
        initial=ConfiscationReason.LESSON,
        required=False,
    )
    # Shown once the ladder's step is known (the second step of the form).
    expected_position = forms.IntegerField(widget=forms.HiddenInput, required=False)
    applied_position = forms.TypedChoiceField(
        label="Step applied", coerce=int, required=False, choices=()
    )
    override_reason = forms.CharField(
        label="Reason for a different step (required if you change it)",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    class Meta:
        model = Breach
        fields = [
            "learner",
            "kind",
            "at",
            "period",
            "lesson",
            "place",
            "place_detail",
            "seen_by",
            "what_next",
            "confiscation",
        ]
        widgets = {
            "at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME),
            "what_next": forms.Textarea(attrs={"rows": 2}),
            "kind": forms.RadioSelect,
        }

    def __init__(self, *args, school=None, user=None, steps=(), **kwargs):
        super().__init__(*args, school=school, **kwargs)
        self.fields["at"].input_formats = [DATETIME]
        self.fields["at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        seen_by = self.fields["seen_by"]
        # Staff of the school (not governors nor IT), by name.
        staff = Membership.objects.holders(school, permission="learners.view") if school else []
        seen_by.queryset = (
            get_user_model()
            .objects.filter(pk__in=[u.pk for u in staff])
            .order_by("last_name", "first_name", "username")
        )
        seen_by.label = "Seen by"
        seen_by.initial = getattr(user, "pk", None)
        seen_by.label_from_instance = lambda u: u.get_full_name() or u.username
        link = self.fields["confiscation"]
        link.label = "Or link a confiscation already recorded (optional)"
        link.queryset = (
            without_concealed(
                Confiscation.objects.filter(school=school).open(), user, "concern"
            ).select_related("learner")
            if school is not None
            else Confiscation.objects.none()
        )
        link.label_from_instance = lambda c: (
            f"{c.learner.name}: {c.device} ({timezone.localtime(c.confiscated_at):%d/%m/%Y %H:%M})"
        )
        self.fields["applied_position"].choices = [
            (s.position, f"{s.position}. {s.consequence}") for s in steps
        ]

    def clean(self):
        data = super().clean()
        if data.get("confiscate"):
            if data.get("confiscation"):
                self.add_error("confiscation", "Record a new confiscation or link one, not both.")
            for name in ("device", "held_at"):
                if not (data.get(name) or "").strip():
                    self.add_error(name, "Needed to record the confiscation.")
        learner, linked = data.get("learner"), data.get("confiscation")
        if learner and linked and linked.learner_id != learner.pk:
            self.add_error("confiscation", "This confiscation is of another learner.")
        return data

    def confiscate_data(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("confiscate"):
            return None
        return {
            "device": data["device"],
            "held_at": data["held_at"],
            "reason_kind": data.get("reason_kind") or ConfiscationReason.LESSON,
        }


class BreachSearchForm(forms.Form):
    q = forms.CharField(label="Learner", required=False, max_length=100)
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    place = forms.ChoiceField(required=False)
    year = forms.ChoiceField(label="Year", required=False)

    def __init__(self, *args, **kwargs):
        from conduct.models import Place
        from people.models import YearGroup

        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [("", "Any place"), *Place.choices]
        self.fields["year"].choices = [("", "Any year"), *YearGroup.choices]
        for name, field in self.fields.items():
            select = name in ("place", "year")
            field.widget.attrs["class"] = "form-select" if select else "form-control"


class LadderStepForm(forms.Form):
    consequence = forms.CharField(max_length=200, required=False)
    involves_parents = forms.BooleanField(label="Parents are told", required=False)


LadderFormSet = forms.formset_factory(LadderStepForm, extra=1, max_num=10)
