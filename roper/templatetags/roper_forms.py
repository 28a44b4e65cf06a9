"""The error summary every form page shows (the GOV.UK pattern): one list at the top of the
page, each problem a link to its field, said in plain words. base.html asks for it once, so
no form template has to."""

from django import forms, template
from django.core.exceptions import ValidationError
from django.forms.formsets import BaseFormSet

register = template.Library()

#: Django's own wording for a missing or unknown answer, said plainly with the field's label.
CHOOSE = (forms.Select, forms.RadioSelect, forms.CheckboxSelectMultiple, forms.FileInput)


def _plain(bound, error: ValidationError) -> ValidationError:
    label = str(bound.label or bound.name).rstrip(":")
    widget = bound.field.widget
    if error.code == "required":
        if isinstance(widget, forms.CheckboxInput):
            return ValidationError(f"Tick “{label}” to go on.", code="required")
        if isinstance(widget, CHOOSE):
            return ValidationError(f"Choose an answer for “{label}”.", code="required")
        return ValidationError(f"Fill in “{label}”.", code="required")
    if error.code == "invalid_choice" and error.message.startswith("Select a valid choice"):
        return ValidationError(
            f"Choose one of the answers offered for “{label}”.", code="invalid_choice"
        )
    return error


def _anchor(bound) -> str:
    widget = bound.field.widget
    if isinstance(widget, forms.HiddenInput):
        return ""
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{bound.auto_id}_0"
    return bound.id_for_label or bound.auto_id or ""


def _form_problems(form) -> list[dict]:
    problems = []
    for name, errors in form.errors.items():
        bound = form[name] if name in form.fields else None
        for i, error in enumerate(errors.data):
            if bound is not None and isinstance(error, ValidationError):
                errors.data[i] = error = _plain(bound, error)
            message = " ".join(error.messages) if isinstance(error, ValidationError) else error
            problems.append({"message": message, "anchor": _anchor(bound) if bound else ""})
    return problems


@register.simple_tag(takes_context=True)
def form_problems(context) -> list[dict]:
    """Every error of every bound form and formset on the page, in order: {message, anchor}."""
    problems, seen = [], set()
    for value in context.flatten().values():
        if id(value) in seen:
            continue
        seen.add(id(value))
        # type(), not isinstance(): isinstance would evaluate the lazy values of the context
        # (the unread count, the menu), each a query the page may not otherwise make.
        kind = type(value)
        if issubclass(kind, forms.BaseForm) and value.is_bound and value.errors:
            problems += _form_problems(value)
        elif issubclass(kind, BaseFormSet) and value.is_bound and not value.is_valid():
            problems += [{"message": e, "anchor": ""} for e in value.non_form_errors()]
            for form in value.forms:
                problems += _form_problems(form)
    return problems
