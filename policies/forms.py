from django import forms

from people.calendar import SchoolCalendar
from people.models import Membership, YearGroup
from policies.models import (
    Policy,
    PolicySending,
    PolicyVersion,
    ReviewTrigger,
    TrainingSession,
    TrainingSettings,
)
from policies.services import staff_members
from roper.uploads import DOCUMENT_TYPES, upload_check

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _users_choice(field, users):
    field.queryset = field.queryset.filter(pk__in=[u.pk for u in users])
    field.label_from_instance = lambda u: u.get_full_name() or u.get_username()


MAX_POLICY_FILE_BYTES = 20 * 1024 * 1024


class PolicyFileMixin:
    """A policy's file is a document (PDF, Word or OpenDocument), checked by its content."""

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and hasattr(upload, "content_type"):  # a new upload, not the stored file
            upload_check(
                upload=upload,
                allowed=DOCUMENT_TYPES,
                max_bytes=MAX_POLICY_FILE_BYTES,
                kinds="a PDF, Word or OpenDocument file",
            )
        return upload


class PolicyCreateForm(PolicyFileMixin, forms.ModelForm):
    class Meta:
        model = Policy
        fields = [
            "title",
            "listed_only",
            "owner",
            "body",
            "file",
            "ratified_on",
            "next_review_on",
            "requires_acknowledgement",
        ]
        widgets = {"ratified_on": DATE, "next_review_on": DATE}
        help_texts = {
            "ratified_on": "For a listed-only policy. A policy written in Roper is ratified "
            "through its review.",
        }

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.instance.school = school

    def clean(self):
        data = super().clean()
        if not data.get("listed_only"):
            data["ratified_on"] = None
            if not (data.get("body") or "").strip():
                self.add_error("body", "Write the policy text, or tick 'listed only'.")
        return data


class PolicyForm(PolicyFileMixin, forms.ModelForm):
    """Key people, dates and links. The text changes only through a review."""

    class Meta:
        model = Policy
        fields = [
            "title",
            "owner",
            "dsl",
            "deputy_dsl",
            "osl",
            "governor",
            "written_on",
            "ratified_on",
            "review_months",
            "next_review_on",
            "requires_acknowledgement",
            "linked",
            "file",
        ]
        widgets = {"written_on": DATE, "ratified_on": DATE, "next_review_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        school = self.instance.school
        people = Membership.objects.holders(school)
        for name in ("dsl", "deputy_dsl", "osl", "governor"):
            _users_choice(self.fields[name], people)
        self.fields["linked"].queryset = Policy.objects.filter(school=school).exclude(
            pk=self.instance.pk
        )
        self.fields["linked"].required = False
        if not self.instance.listed_only:
            # Ratification is recorded through the review workflow.
            del self.fields["ratified_on"]


class PolicyVersionForm(forms.ModelForm):
    class Meta:
        model = PolicyVersion
        fields = ["body", "change_summary"]
        widgets = {"body": forms.Textarea(attrs={"rows": 30, "class": "font-monospace"})}
        labels = {"body": "Policy text (Markdown)", "change_summary": "What changed"}


class RatifyForm(forms.Form):
    ratified_on = forms.DateField(label="Date ratified", widget=DATE)
    ratified_by = forms.CharField(label="Ratified by", initial="Governing Body", max_length=200)
    next_review_on = forms.DateField(
        label="Next review",
        required=False,
        widget=DATE,
        help_text="Leave empty for the policy's review cycle (at most a year).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ratified_on"].initial = SchoolCalendar.today()


class ReviewTriggerForm(forms.ModelForm):
    class Meta:
        model = ReviewTrigger
        fields = ["reason", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}


class TrainingSessionForm(forms.ModelForm):
    class Meta:
        model = TrainingSession
        fields = ["title", "held_on", "topic", "notes", "attendees"]
        widgets = {
            "held_on": DATE,
            "attendees": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"attendees": "Who attended"}

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.school = school
        _users_choice(self.fields["attendees"], staff_members(school))
        self.fields["attendees"].required = False


class TrainingSettingsForm(forms.ModelForm):
    class Meta:
        model = TrainingSettings
        fields = ["refresher_months"]
        labels = {"refresher_months": "Refresher training every (months)"}


class PolicySendingForm(forms.ModelForm):
    """That the policy went to families: for this school year or the coming one."""

    year_groups = forms.MultipleChoiceField(
        choices=YearGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked when it went to every year group.",
    )

    class Meta:
        model = PolicySending
        fields = ["school_year", "sent_on", "sent_by", "method", "note"]
        widgets = {"sent_on": DATE, "method": forms.RadioSelect}
        labels = {"sent_by": "Sent by", "school_year": "For the school year"}

    def __init__(self, *args, school=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        today = SchoolCalendar.today()
        current = PolicySending.school_year_of(today)
        years = [current, current + 1]
        self.fields["school_year"] = forms.TypedChoiceField(
            label="For the school year",
            choices=[(y, f"{y}/{(y + 1) % 100:02d}") for y in years],
            coerce=int,
        )
        _users_choice(self.fields["sent_by"], staff_members(school))
        if not self.is_bound:
            # From July, the letter is usually for the coming year.
            self.initial.setdefault(
                "school_year", current + 1 if today.month in (7, 8) else current
            )
            self.initial.setdefault("sent_on", today)
            self.initial.setdefault("sent_by", user.pk if user else None)


MAX_IMPORT_BYTES = 1024 * 1024


class PolicyImportForm(forms.Form):
    """A policy as a text or Markdown file (policies/importer.py: the Key Details block gives
    its key people and dates)."""

    file = forms.FileField(
        label="Policy file (.txt or .md)",
        help_text="Plain text or Markdown, as saved from the template. Key people and dates "
        "are read from its 'Key Details' block.",
    )
    title = forms.CharField(
        max_length=200, required=False, help_text="Leave empty to use the file's first line."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name or "The file"
        if not name.lower().endswith((".txt", ".md", ".markdown")):
            raise forms.ValidationError(f"{name} is not a .txt or .md file.")
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(f"{name} is larger than 1 MB.")
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                f"{name} is not plain text (UTF-8): save it as text and try again."
            ) from None
        if "\x00" in text:
            raise forms.ValidationError(f"{name} is not plain text.")
        return text
