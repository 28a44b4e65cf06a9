from django import forms

from reports.models import Commentary


class CommentaryForm(forms.ModelForm):
    class Meta:
        model = Commentary
        fields = ["text"]
        labels = {"text": "The named governor's commentary on this term"}
        help_texts = {
            "text": "Shown with the report, its PDF and CSV. Do not name a child or a member "
            "of staff."
        }
        widgets = {"text": forms.Textarea(attrs={"rows": 6})}
