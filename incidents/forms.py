from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.urls import reverse

from incidents.models import Category, Concern, Entry, FilteringReview, Involvement
from incidents.services import duplicate_target, evidence_check, learner_search
from incidents.visibility import action_candidates, triage_candidates
from people.models import Learner, Membership
from policies.models import Policy

YES_NO = [(False, "No"), (True, "Yes")]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _datetime_widget():
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ConcernForm(forms.ModelForm):
    immediate_danger = forms.TypedChoiceField(
        label="Is anyone in immediate danger?",
        choices=YES_NO,
        coerce=lambda v: v in (True, "True"),
        widget=forms.RadioSelect(attrs={"data-immediate-danger": ""}),
        initial=False,
    )
    evidence = MultipleFileField(
        label="Evidence (images or PDFs, up to 10 MB each)",
        help_text="Optional. Photos of a screen or a PDF. Never a sexual image of a child.",
    )

    class Meta:
        model = Concern
        fields = [
            "category",
            "immediate_danger",
            "what_happened",
            "happened_at",
            "where",
            "done_already",
            "dsl_told_verbally",
            "platform",
            "handles",
            "reported_to_platform",
            "reported_to_ceop",
        ]
        widgets = {
            "happened_at": _datetime_widget(),
            "what_happened": forms.Textarea(attrs={"rows": 5}),
            "done_already": forms.Textarea(attrs={"rows": 2}),
            "handles": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(school=school, active=True)
        self.fields["category"].widget.attrs["data-category"] = ""

    def clean(self):
        cleaned = super().clean()
        category = cleaned.get("category")
        if category:
            for upload in cleaned.get("evidence") or []:
                try:
                    evidence_check(upload=upload, category=category)
                except ValidationError as exc:
                    self.add_error("evidence", exc)
        return cleaned


class InvolvementForm(forms.ModelForm):
    """One person involved. A learner is found by typing their name: for those who may look
    learners up (`learners.view`), the name box searches the school's records and the
    matches come back as choices; anyone else (governors, the admin) never sees a learner's
    name and types the child's name, which is kept on the concern for the DSL."""

    class Meta:
        model = Involvement
        fields = ["kind", "learner", "staff", "name", "part"]
        labels = {"kind": "Who", "staff": "Staff member", "name": "Name"}

    def __init__(self, *args, school, learners: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        #: Learners matching a name typed without choosing one (no JavaScript): offered back.
        self.matches = []
        if learners:
            self.fields["learner"].queryset = Learner.objects.filter(school=school, active=True)
            self.fields["learner"].widget = forms.HiddenInput()  # chosen among the matches
            self.fields["name"].help_text = "For a learner, type their name and choose them."
            self.fields["name"].widget.attrs.update(
                {
                    "autocomplete": "off",
                    "hx-get": f"{reverse('incidents:learner_search')}?prefix={self.prefix}",
                    "hx-trigger": "input changed delay:200ms, search",
                    "hx-include": f"#id_{self.prefix}-kind",
                    "hx-target": f"#{self.prefix}-matches",
                    "hx-sync": "this:replace",
                }
            )
        else:
            del self.fields["learner"]
            self.fields["name"].help_text = "For a learner, type their name (kept for the DSL)."
        self.fields["staff"].queryset = Membership.objects.members(school)
        self.fields["staff"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["kind"].required = False
        self.fields["part"].required = False

    @property
    def chosen_learners(self) -> list:
        """The learner chosen before the form came back with an error, to show again."""
        learner = getattr(self, "cleaned_data", {}).get("learner")
        return [learner] if learner else []

    def clean(self):
        cleaned = super().clean()
        if not self.has_changed():
            return cleaned
        kind, part = cleaned.get("kind"), cleaned.get("part")
        if not kind:
            self.add_error("kind", "Say who this person is.")
        if not part:
            self.add_error("part", "Say what their part was.")
        if kind:
            given = {
                "learner": cleaned.get("learner") or cleaned.get("name"),
                "staff": cleaned.get("staff"),
            }.get(kind, cleaned.get("name"))
            if not given:
                self.add_error(None, "Choose the learner or staff member, or type the name.")
            elif kind == "learner" and self._unchosen_name(cleaned):
                self.matches = learner_search(school=self.school, q=cleaned["name"])
                if self.matches:
                    self.add_error(
                        "name",
                        "Choose which learner you mean, or “None of these” to keep the name "
                        "as typed.",
                    )
        return cleaned

    def _unchosen_name(self, cleaned) -> bool:
        """A learner's name typed and sent without the search's choices ever shown (the page
        without JavaScript): the form has no answer at all for the learner, not even "None"."""
        return (
            "learner" in self.fields
            and not cleaned.get("learner")
            and bool(cleaned.get("name"))
            and self.add_prefix("learner") not in self.data
        )

    def person(self) -> dict | None:
        if not self.has_changed() or not self.cleaned_data.get("kind"):
            return None
        kind = self.cleaned_data["kind"]
        learner = self.cleaned_data.get("learner") if kind == "learner" else None
        return {
            "kind": kind,
            "learner": learner,
            "staff": self.cleaned_data["staff"] if kind == "staff" else None,
            # A learner not chosen from the records keeps the name typed, for the DSL.
            "name": "" if learner or kind == "staff" else self.cleaned_data["name"],
            "part": self.cleaned_data["part"],
        }


InvolvementFormSet = formset_factory(InvolvementForm, extra=3, max_num=30)


class AdditionForm(forms.Form):
    text = forms.CharField(label="Information to add", widget=forms.Textarea(attrs={"rows": 3}))
    evidence = MultipleFileField(label="Evidence (images or PDFs)")

    def __init__(self, *args, concern, **kwargs):
        super().__init__(*args, **kwargs)
        self.concern = concern

    def clean_evidence(self):
        files = self.cleaned_data["evidence"]
        for upload in files:
            evidence_check(upload=upload, category=self.concern.category)
        return files


def _name(user) -> str:
    return user.get_full_name() or user.username


def _triagers(concern) -> list:
    """`triage_candidates(concern)`, read once for all the forms of one page."""
    if "_triagers" not in concern.__dict__:
        concern.__dict__["_triagers"] = triage_candidates(concern)
    return concern.__dict__["_triagers"]


def _people_field(field, people, invalid: str) -> None:
    """Limit a user field to `people`, listed from them (not read again to draw the list)."""
    field.queryset = get_user_model().objects.filter(pk__in=[u.pk for u in people])
    field.choices = [("", field.empty_label), *((u.pk, _name(u)) for u in people)]
    field.error_messages["invalid_choice"] = invalid


class TriageForm(forms.ModelForm):
    class Meta:
        model = Entry
        fields = ["risk_level", "owner", "text"]
        labels = {"text": "Reason"}
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, concern, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["risk_level"].required = True
        self.fields["text"].required = True
        # Only someone who may open this concern in full can own it: those who hold a triage
        # role in the school or its trust, less those the visibility rule keeps out (a
        # subject of the concern, the deputy on a staff case not routed to them ...).
        owners = sorted(_triagers(concern), key=lambda u: (u.last_name, u.first_name))
        _people_field(
            self.fields["owner"],
            owners,
            "Choose someone who may open this concern in full: the person chosen could not.",
        )


class ActionForm(forms.ModelForm):
    """An action given to someone who may open the concern (never a subject of it), due on
    a day: they are told, reminded on the day and when it is overdue, and mark it done."""

    class Meta:
        model = Entry
        fields = ["text", "assignee", "action_due"]
        labels = {"text": "What", "assignee": "Who", "action_due": "Due"}
        help_texts = {"assignee": "Only people who may open this concern are listed."}
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "action_due": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, concern, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.fields[name].required = True
        _people_field(
            self.fields["assignee"],
            action_candidates(concern, _triagers(concern)),
            "Choose someone who may open this concern: the person chosen could not.",
        )


class ReferralForm(forms.ModelForm):
    class Meta:
        model = Entry
        fields = ["referral", "referred_at", "police_reference", "referral_outcome", "text"]
        labels = {"text": "Notes (e.g. advice given)"}
        widgets = {
            "referred_at": _datetime_widget(),
            "referral_outcome": forms.Textarea(attrs={"rows": 2}),
            "text": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, concern=None, **kwargs):
        super().__init__(*args, **kwargs)
        if concern is not None:  # its date is checked against it (`Entry.clean`)
            self.instance.concern = concern
        self.fields["referral"].required = True
        self.fields["referred_at"].required = True

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("referral") == "police" and not cleaned.get("police_reference"):
            self.add_error("police_reference", "Give the police reference.")
        return cleaned


class ParentContactForm(forms.ModelForm):
    class Meta:
        model = Entry
        fields = ["contact_who", "referred_at", "contact_how", "not_told_reason", "text"]
        labels = {"referred_at": "When", "text": "What was said"}
        widgets = {
            "referred_at": _datetime_widget(),
            "not_told_reason": forms.Textarea(attrs={"rows": 2}),
            "text": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, concern=None, **kwargs):
        super().__init__(*args, **kwargs)
        if concern is not None:  # its date is checked against it (`Entry.clean`)
            self.instance.concern = concern

    def clean(self):
        cleaned = super().clean()
        told = (
            cleaned.get("contact_who") and cleaned.get("referred_at") and cleaned.get("contact_how")
        )
        if not told and not cleaned.get("not_told_reason"):
            raise ValidationError("Say who was told, when and how — or why they were not told.")
        return cleaned


class NoteForm(forms.ModelForm):
    class Meta:
        model = Entry
        fields = ["text"]
        labels = {"text": "Note"}
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, concern=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].required = True


RECORD_FORMS = {
    Entry.Kind.TRIAGE: TriageForm,
    Entry.Kind.ACTION: ActionForm,
    Entry.Kind.REFERRAL: ReferralForm,
    Entry.Kind.PARENT_CONTACT: ParentContactForm,
    Entry.Kind.NOTE: NoteForm,
}


class WithdrawForm(forms.Form):
    """Withdraw a concern reported twice or in error: why, and which concern it repeats."""

    withdrawn_as = forms.ChoiceField(
        label="Why is it withdrawn?",
        choices=Concern.Withdrawal.choices,
        widget=forms.RadioSelect,
    )
    duplicate_of = forms.IntegerField(
        label="Number of the concern it duplicates",
        required=False,
        min_value=1,
        help_text="Optional. The number shown at the top of that concern's page.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    reason = forms.CharField(
        label="Reason",
        help_text="Kept on the record, with your name and the date.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, concern, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.concern, self.user = concern, user

    def clean_duplicate_of(self):
        number = self.cleaned_data.get("duplicate_of")
        if number is None:
            return None
        # A concern the user may not open reads as one that does not exist.
        target = duplicate_target(concern=self.concern, by=self.user, number=number)
        if target is None:
            raise ValidationError(
                f"There is no concern #{number} that you can open in this school, other than "
                "this one. Check the number, or leave it empty."
            )
        return target

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("duplicate_of") and cleaned.get("withdrawn_as") == Concern.Withdrawal.ERROR:
            self.add_error(
                "duplicate_of",
                "Leave the number empty for a concern reported in error, or choose “a duplicate”.",
            )
        return cleaned


class CloseForm(forms.Form):
    decision = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    lessons_learnt = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="With a policy chosen below, this opens a review of that policy.",
    )
    finding = forms.ChoiceField(
        choices=[("", "—"), *Concern.Finding.choices],
        required=False,
        label="Finding (allegations about staff)",
        help_text="A malicious allegation is removed from the records once the DSL approves.",
    )
    policy = forms.ModelChoiceField(
        queryset=Policy.objects.none(),
        required=False,
        label="Policy to review in the light of the lessons learnt",
    )

    def __init__(self, *args, concern, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = Policy.objects.filter(school=concern.school)
        if not concern.is_staff_case:
            del self.fields["finding"]

    def clean(self):
        cleaned = super().clean()
        if "finding" in self.fields and not cleaned.get("finding"):
            self.add_error("finding", "Record the finding of the allegation.")
        if cleaned.get("policy") and not cleaned.get("lessons_learnt", "").strip():
            self.add_error("lessons_learnt", "Say what was learnt, to open a policy review.")
        return cleaned


class FilteringReviewForm(forms.ModelForm):
    """The annual filtering and monitoring review. The DSL and senior leader are chosen from
    the school's holders of those roles; the dates default to today and a year on."""

    class Meta:
        model = FilteringReview
        fields = [
            "reviewed_on",
            "dsl",
            "senior_leader",
            "it_provider",
            "others",
            "filtering_provider",
            "blocked",
            "monitoring",
            "monitoring_notes",
            "tested",
            "test_notes",
            "actions",
            "next_review_on",
        ]
        widgets = {
            "reviewed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "next_review_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "blocked": forms.Textarea(attrs={"rows": 3}),
            "monitoring_notes": forms.Textarea(attrs={"rows": 2}),
            "test_notes": forms.Textarea(attrs={"rows": 2}),
            "actions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, school, today, **kwargs):
        super().__init__(*args, **kwargs)
        from policies.models import add_months
        from roper.roles import Role

        self.instance.school = school
        holders = Membership.objects.holders_by_role(school)
        choices = {
            "dsl": [Role.DSL, Role.DEPUTY_DSL],
            "senior_leader": [Role.HEADTEACHER, Role.LEADERSHIP, Role.DEPUTY_DSL, Role.DSL],
        }
        for name, roles in choices.items():
            users = {u.pk: u for role in roles for u in holders.get(role, [])}
            field = self.fields[name]
            field.required = True
            field.queryset = field.queryset.filter(pk__in=list(users))
            field.label_from_instance = lambda u: u.get_full_name() or u.get_username()
        dsls = holders.get(Role.DSL, [])
        self.initial.setdefault("reviewed_on", today)
        self.initial.setdefault("next_review_on", add_months(today, 12))
        if dsls:
            self.initial.setdefault("dsl", dsls[0].pk)
