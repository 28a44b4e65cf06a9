"""A select whose options are written in Python, not one template each.

Django's `Select` renders every option through a template of its own (and its attributes
through another): a school's 1,500 learners took ~150 ms to draw, and the concerns a head
may link a confiscation to, ten thousand of them, a second and 1.3 MB (bench/README.md,
tenth pass). `QuickSelect` writes the same HTML, byte for byte (tests/roper/
test_widgets.py compares the two), from the same context Django builds.
"""

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, ` name` when True, nothing when
    False."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
            for name, value in attrs.items()
            if value is not False
        ),
    )


class QuickSelect(forms.Select):
    """`forms.Select`, its options written in Python (module docstring)."""

    @classmethod
    def like(cls, widget: forms.Select) -> "QuickSelect":
        """A QuickSelect in place of `widget`, as its field set it up."""
        quick = cls(attrs=widget.attrs, choices=widget.choices)
        quick.is_required = widget.is_required
        return quick

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
        for group, options, _ in widget["optgroups"]:
            if group:
                parts.append(format_html('\n  <optgroup label="{}">', group))
            parts.extend(
                format_html(  # select_option.html ends with a new line
                    '\n  <option value="{}"{}>{}</option>\n',
                    str(option["value"]),
                    _attrs(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group:
                parts.append(SafeString("\n  </optgroup>"))
        parts.append(SafeString("\n</select>"))
        return SafeString("".join(parts))  # nosec B703 - each part escaped by format_html
