"""The differences between two versions of a policy, sentence by sentence."""

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)")


def sentences(text: str) -> list[str]:
    """Split a Markdown body into lines, and lines into sentences."""
    out = []
    for line in (text or "").splitlines():
        line = line.strip()
        if line:
            out.extend(part for part in _SENTENCE_END.split(line) if part)
    return out


@dataclass
class Change:
    kind: str  # "removed", "added" or "changed"
    old: str
    new: str
    html_old: SafeString
    html_new: SafeString


def _words(old: str, new: str) -> tuple[SafeString, SafeString]:
    a, b = old.split(), new.split()
    html_a, html_b = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        left, right = escape(" ".join(a[i1:i2])), escape(" ".join(b[j1:j2]))
        if op == "equal":
            html_a.append(left)
            html_b.append(right)
            continue
        if left:
            html_a.append(f"<del>{left}</del>")
        if right:
            html_b.append(f"<ins>{right}</ins>")
    # Each piece was escaped above; only our own <del>/<ins> tags are added.
    return mark_safe(" ".join(html_a)), mark_safe(" ".join(html_b))  # noqa: S308  # nosec B308 B703


def changes(old_text: str, new_text: str) -> list[Change]:
    """The sentences removed, added or changed between two texts, in order."""
    a, b = sentences(old_text), sentences(new_text)
    result = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        old, new = a[i1:i2], b[j1:j2]
        pairs = max(len(old), len(new)) if op == "replace" else 0
        for k in range(pairs):
            o = old[k] if k < len(old) else ""
            n = new[k] if k < len(new) else ""
            kind = "changed" if o and n else ("removed" if o else "added")
            html_o, html_n = _words(o, n)
            result.append(Change(kind, o, n, html_o, html_n))
        if op == "delete":
            result.extend(Change("removed", o, "", escape(o), escape("")) for o in old)
        elif op == "insert":
            result.extend(Change("added", "", n, escape(""), escape(n)) for n in new)
    return result
