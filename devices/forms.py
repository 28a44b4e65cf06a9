from datetime import timedelta

from django import forms
from django.db.models import Q
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue

from devices.models import (
    Confiscation,
    CurriculumUseRequest,
    CustodyState,
    LearnerExemption,
    ParentContactException,
    Search,
    SearchConsent,
    StaffException,
)
from incidents.models import Concern
from people.models import LABEL_COLUMNS, Guardian, Learner
from roper.widgets import QuickSelect


class LearnerChoices(ModelChoiceIterator):
    """A picker's learners, each (id, label) made from its row (people/models.py
    LABEL_COLUMNS), not from a Learner built for each of a school's 1,500: the same options,
    in the same order."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield "", self.field.empty_label
        label = Learner.labeller(rows=True)
        for row in self.queryset.values_list(*LABEL_COLUMNS):
            yield ModelChoiceIteratorValue(row[0], None), label(row)


class LearnerChoiceMixin:
    """The learner field lists the active learners of the school being worked in (written
    in Python: roper/widgets.py, from their rows: LearnerChoices)."""

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["learner"]
        field.widget = QuickSelect.like(field.widget)
        field.iterator = LearnerChoices
        field.queryset = Learner.objects.filter(school=school, active=True)


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
        concern.help_text = (
            "An open concern you reported or can see, if this belongs to one (to link a "
            "closed one, record the confiscation from the concern's page)."
        )
        concern.widget = QuickSelect.like(concern.widget)
        # The open ones, and the one the page was opened for (its link on a concern's page),
        # not every concern the school ever had: a head's list of ten thousand was 1.3 MB.
        given = self.data.get("concern") if self.is_bound else self.initial.get("concern")
        given = int(given) if str(given or "").isdigit() else None
        concern.queryset = (
            concerns_visible_to(user)
            .filter(school=school)
            .filter(~Q(status__in=Concern.ENDED) | Q(pk=given))
            .select_related("category")
            .order_by("-reported_at", "-pk")
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


YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes(value) -> bool:
    return value == "yes"


class SearchForm(LearnerChoiceMixin, forms.ModelForm):
    """The record of a search. The searcher is the person recording it; the witness is
    another member of staff of the school; a confiscation is one of the school's recent
    ones (the service checks it is of the same pupil)."""

    # Two radio buttons, no "---------" one: a choice the searcher must make.
    consent = forms.ChoiceField(choices=SearchConsent.choices, widget=forms.RadioSelect)
    # Yes or no, never a box left unticked by mistake: asked whenever the pupil's clothing or
    # pockets are searched (the guidance's same-sex rule, Search.problems).
    searcher_same_sex = forms.TypedChoiceField(
        label="Are you of the same sex as the pupil?",
        choices=YES_NO,
        coerce=_yes,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text="Needed when clothing or pockets are searched.",
    )
    witness_same_sex = forms.TypedChoiceField(
        label="Is the witness of the same sex as the pupil?",
        choices=YES_NO,
        coerce=_yes,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        help_text="Needed when clothing or pockets are searched with a witness.",
    )

    class Meta:
        model = Search
        fields = [
            "learner",
            "searched_at",
            "place",
            "grounds",
            "consent",
            "searched_outer_clothing",
            "searched_pockets",
            "searched_bag",
            "searched_locker",
            "searched_other",
            "witness",
            "searcher_same_sex",
            "witness_same_sex",
            "witness_sex_reason",
            "urgent_reason",
            "anything_found",
            "found",
            "confiscation",
            "parents_informed_at",
            "parents_informed_how",
            "dsl_informed_at",
        ]
        widgets = {
            "searched_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "parents_informed_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "dsl_informed_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "grounds": forms.Textarea(attrs={"rows": 3}),
            "urgent_reason": forms.Textarea(attrs={"rows": 2}),
            "witness_sex_reason": forms.Textarea(attrs={"rows": 2}),
            "found": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, school=None, user=None, **kwargs):
        super().__init__(*args, school=school, **kwargs)
        from django.contrib.auth import get_user_model
        from django.utils import timezone

        from people.models import Membership
        from roper.roles import STAFF

        staff = [u.pk for u in Membership.objects.holders(school, roles=STAFF)]
        witness = self.fields["witness"]
        witness.queryset = get_user_model().objects.filter(pk__in=staff).exclude(pk=user.pk)
        witness.label_from_instance = lambda u: u.get_full_name() or u.username
        for name in ("searched_at", "parents_informed_at", "dsl_informed_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"]
        if not self.is_bound and not self.initial.get("searched_at"):
            self.initial["searched_at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
        confiscation = self.fields["confiscation"]
        confiscation.label = "Confiscation of what was found (optional)"
        # The school's devices confiscated in the last week, named by device, pupil and time.
        since = timezone.now() - timedelta(days=7)
        from incidents.visibility import without_concealed

        confiscation.queryset = without_concealed(
            Confiscation.objects.filter(school=school, confiscated_at__gte=since),
            user,
            "concern",
        ).select_related("learner")
        confiscation.label_from_instance = lambda c: (
            f"{c.device}, {c.learner.name} ({timezone.localtime(c.confiscated_at):%d/%m %H:%M})"
        )

    def clean(self):
        data = super().clean()
        person = data.get("searched_outer_clothing") or data.get("searched_pockets")
        if person and data.get("searcher_same_sex") is None:
            self.add_error(
                "searcher_same_sex",
                "Say whether you are of the same sex as the pupil: the guidance asks that a "
                "pupil's clothing and pockets are searched by staff of their sex.",
            )
        if person and data.get("witness") and data.get("witness_same_sex") is None:
            self.add_error(
                "witness_same_sex",
                "Say whether the witness is of the same sex as the pupil: the guidance asks "
                "for one of the pupil's sex wherever possible.",
            )
        for name in ("searcher_same_sex", "witness_same_sex"):
            if data.get(name) is None:
                data[name] = False  # not asked (possessions only), or asked above
        return data


class SearchAuthoriseForm(forms.Form):
    user = forms.ModelChoiceField(queryset=None, label="Member of staff")

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        from people.models import Membership

        may = [u.pk for u in Membership.objects.holders(school, permission="devices.search")]
        self.fields["user"].queryset = get_user_model().objects.filter(pk__in=may)
        self.fields["user"].label_from_instance = lambda u: u.get_full_name() or u.username


class SearchToldForm(forms.Form):
    """When the parents or carers, and the DSL, were told (after the search). A plain form:
    the service checks it against the search (a ModelForm would validate a blank search)."""

    parents_informed_at = forms.DateTimeField(
        label="Parents or carers told at",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    parents_informed_how = forms.CharField(
        label="How they were told", max_length=200, required=False
    )
    dsl_informed_at = forms.DateTimeField(
        label="DSL told at",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
