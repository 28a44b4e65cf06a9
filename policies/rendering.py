"""Policy text: Markdown rendered to HTML and sanitised (a policy body is typed by staff)."""

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "abbr": {"title"}}


def render_markdown(text: str) -> SafeString:
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"])
    # nh3 (ammonia) has just removed every tag, attribute and URL scheme not allowed above.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"})
    )
