from django import forms

from devices.models import (
    Confiscation,
    CurriculumUseRequest,
    CustodyState,
    LearnerExemption,
    ParentContactException,
    StaffException,
)
from people.models import Guardian, Learner


class LearnerChoiceMixin:
    """The learner field lists the active learners of the school being worked in."""

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["learner"].queryset = Learner.objects.filter(school=school, active=True)
        self.fields["learner"].label_from_instance = lambda learner: learner.label


class ConfiscationForm(LearnerChoiceMixin, forms.ModelForm):
    class Meta:
        model = Confiscation
        fields = ["learner", "device", "reason_kind", "reason", "held_at", "concern"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, school=None, user=None, **kwargs):
        super().__init__(*args, school=school, **kwargs)
        from incidents.visibility import concerns_visible_to

        concern = self.fields["concern"]
        concern.label = "Linked concern (optional)"
        concern.help_text = "A concern you reported or can see, if this belongs to one."
        concern.queryset = (
            concerns_visible_to(user).filter(school=school).select_related("category")
            if user is not None
            else concern.queryset.none()
        )
        # A concern is named by its number, category and date: never by a person.
        concern.label_from_instance = lambda c: (
            f"#{c.pk} {c.category.name} ({c.reported_at:%d/%m/%Y})"
        )


class CustodyMoveForm(forms.Form):
    """The details of one custody move; which ones are needed depends on the move (the
    service checks them). There is no form to edit an event: events are never edited."""

    to_state = forms.ChoiceField(
        choices=[(s, s.label) for s in CustodyState if s != CustodyState.CONFISCATED],
        widget=forms.HiddenInput,
    )
    location = forms.CharField(label="Where it is stored", max_length=200, required=False)
    guardian = forms.ModelChoiceField(
        Guardian.objects.none(), required=False, label="Parent or carer on file"
    )
    guardian_name = forms.CharField(label="Name (not on file)", max_length=200, required=False)
    relationship = forms.CharField(max_length=50, required=False)
    id_checked = forms.BooleanField(label="I have checked their identity", required=False)
    override_reason = forms.CharField(
        label="Headteacher's reason for releasing to someone not on file",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    officer = forms.CharField(max_length=200, required=False)
    force = forms.CharField(max_length=200, required=False)
    reference = forms.CharField(label="Police reference", max_length=100, required=False)
    seal_number = forms.CharField(max_length=100, required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, confiscation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if confiscation is not None:
            self.fields["guardian"].queryset = Guardian.objects.filter(
                guardianships__learner=confiscation.learner, guardianships__may_collect=True
            )


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("yes", "Approve"), ("no", "Decline")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        label="Decision",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    starts_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


class StaffExceptionForm(forms.ModelForm):
    class Meta:
        model = StaffException
        fields = ["kind", "details"]


class ParentContactForm(LearnerChoiceMixin, forms.ModelForm):
    class Meta:
        model = ParentContactException
        fields = ["learner", "details"]


class LearnerExemptionForm(LearnerChoiceMixin, forms.ModelForm):
    class Meta:
        model = LearnerExemption
        fields = ["learner", "reason", "details", "review_on"]
        widgets = {"review_on": forms.DateInput(attrs={"type": "date"})}


class CurriculumUseForm(forms.ModelForm):
    class Meta:
        model = CurriculumUseRequest
        fields = ["activity", "date", "class_name", "risks", "controls"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"})}
