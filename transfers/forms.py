from django import forms

from transfers.package import MIN_PASSPHRASE

PACKAGE = "package"


class TransferForm(forms.Form):
    """Where a learner's file goes: a school of the trust (on this Roper), or any other school
    (an encrypted package)."""

    destination = forms.ChoiceField(label="Send to")
    to_name = forms.CharField(label="Receiving school's name", max_length=200, required=False)
    to_urn = forms.CharField(label="Receiving school's URN", max_length=8, required=False)
    in_year = forms.BooleanField(
        label="An in-year move (the child has left during the school year)",
        required=False,
        initial=True,
    )
    passphrase = forms.CharField(
        label="Passphrase (for a package)",
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=f"Roper suggests one; you may type your own (at least {MIN_PASSPHRASE} "
        "characters). Write it down now: it is shown here only and never stored. Give it to "
        "the receiving DSL by another channel (a phone call), never with the file.",
    )

    def __init__(self, *args, trust_schools=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.trust_schools = {str(s.pk): s for s in trust_schools}
        self.fields["destination"].choices = [
            (PACKAGE, "Another school: an encrypted package to download and send"),
            *((pk, f"{s.name} (in our trust, on Roper)") for pk, s in self.trust_schools.items()),
        ]

    def clean(self):
        data = super().clean()
        if data.get("destination") == PACKAGE:
            if not data.get("to_name", "").strip():
                self.add_error("to_name", "Name the school the child has moved to.")
            if len(data.get("passphrase") or "") < MIN_PASSPHRASE:
                self.add_error(
                    "passphrase", f"A passphrase needs at least {MIN_PASSPHRASE} characters."
                )
        return data

    @property
    def to_school(self):
        return self.trust_schools.get(self.cleaned_data.get("destination"))


class ImportForm(forms.Form):
    package = forms.FileField(label="Transfer package (.roper file)")
    passphrase = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )
    attach = forms.BooleanField(
        label="Add to the learner already here with the same UPN, name and date of birth",
        required=False,
    )


class ReceiptForm(forms.Form):
    code = forms.CharField(label="Receipt code", max_length=64)
    name = forms.CharField(label="Your name and role", max_length=200)


class ConcernsCsvForm(forms.Form):
    file = forms.FileField(label="CSV of concerns (UTF-8, a header row)")
