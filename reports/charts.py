"""Charts as SVG markup made on the server, so the page and the PDF show the same picture
and no script runs. A suppressed value is drawn as an outlined bar of the threshold's
height, outlined and labelled as in the tables, never at its true height."""

from django.utils.html import escape
from django.utils.safestring import mark_safe

INK, BAR, LIGHT = "#1d3d5c", "#2f6f9f", "#6c757d"


def _svg(title: str, width: int, height: int, body: list[str], desc: str) -> str:
    # Every text in it is escaped below; the rest is our own markup and numbers.
    return mark_safe(  # noqa: S308  # nosec B308 B703
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title><desc>{escape(desc)}</desc>'
        f'<text x="0" y="14" font-size="13" font-weight="bold" fill="{INK}">{escape(title)}'
        f"</text>{''.join(body)}</svg>"
    )


def _describe(items):
    return "; ".join(f"{label}: {text}" for label, _value, text, _hidden in items)


def bar_chart(title: str, items: list[tuple[str, int, str, bool]], threshold: int) -> str:
    """Vertical bars, one per (label, value, text shown, hidden)."""
    width, height, top, bottom, left = 560, 230, 30, 40, 10
    plot = height - top - bottom
    shown = [threshold if hidden else value for _, value, _text, hidden in items]
    peak = max([*shown, threshold, 1])
    slot = (width - left) / max(len(items), 1)
    body = [
        f'<line x1="{left}" y1="{top + plot}" x2="{width}" y2="{top + plot}" '
        f'stroke="{LIGHT}" stroke-width="1"/>'
    ]
    for i, ((label, _value, text, hidden), bar) in enumerate(zip(items, shown, strict=True)):
        h = plot * bar / peak
        x = left + i * slot + slot * 0.2
        w = slot * 0.6
        y = top + plot - h
        if hidden:
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="#fff" '
                f'stroke="{BAR}" stroke-width="1.5" stroke-dasharray="4 3"/>'
            )
        else:
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{BAR}"/>'
            )
        body.append(
            f'<text x="{x + w / 2:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle" '
            f'fill="{INK}">{escape(text)}</text>'
        )
        body.append(
            f'<text x="{x + w / 2:.1f}" y="{top + plot + 16}" font-size="11" '
            f'text-anchor="middle" fill="{INK}">{escape(label)}</text>'
        )
    return _svg(title, width, height, body, _describe(items))


def hbar_chart(title: str, items: list[tuple[str, int, str, bool]], threshold: int) -> str:
    """Horizontal bars with their labels, one per (label, value, text shown, hidden)."""
    row, top, label_width, width = 24, 28, 300, 560
    height = top + row * max(len(items), 1) + 8
    plot = width - label_width - 90
    shown = [threshold if hidden else value for _, value, _text, hidden in items]
    peak = max([*shown, threshold, 1])
    body = []
    if not items:
        body.append(f'<text x="0" y="{top + 14}" font-size="11" fill="{INK}">None</text>')
    for i, ((label, _value, text, hidden), bar) in enumerate(zip(items, shown, strict=True)):
        y = top + i * row
        w = max(plot * bar / peak, 1)
        short = label if len(label) <= 48 else label[:46] + "…"
        body.append(f'<text x="0" y="{y + 15}" font-size="11" fill="{INK}">{escape(short)}</text>')
        if hidden:
            body.append(
                f'<rect x="{label_width}" y="{y + 4}" width="{w:.1f}" height="14" fill="#fff" '
                f'stroke="{BAR}" stroke-width="1.5" stroke-dasharray="4 3"/>'
            )
        else:
            body.append(
                f'<rect x="{label_width}" y="{y + 4}" width="{w:.1f}" height="14" fill="{BAR}"/>'
            )
        body.append(
            f'<text x="{label_width + w + 6:.1f}" y="{y + 15}" font-size="11" '
            f'fill="{INK}">{escape(text)}</text>'
        )
    return _svg(title, width, height, body, _describe(items))
