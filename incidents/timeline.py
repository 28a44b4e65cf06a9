"""A concern's timeline as its page shows it: each entry formatted once in Python, so that the
template only places it (issue 17). The HTML is what the template's tags and filters wrote
per entry (`|date`, `|linebreaksbr`, `{% url %}`, the `_who.html` include, the choices'
labels: tested against the old template), without their cost per call: a concern with 200
entries rendered some 4,000 template nodes and 330 `|date` a view, most of the page's time."""

from html import escape

from django.template.defaultfilters import linebreaksbr
from django.utils.safestring import SafeString

from incidents.models import Concern, Entry, Referral
from roper.dates import formatters
from roper.links import url_maker
from roper.models import AccessLog


def for_page(entries, *, concern, may_mark_done) -> list[dict]:
    """Each entry as the page shows it: `head` and `tail`, the HTML around its "Mark this
    action done" form (the template draws the form: it holds the request's CSRF token), and
    `done_url`, the form's action when the viewer may mark the action done (`may_mark_done`:
    their ids), else "". Links and labels are made once per page; every value is escaped
    here, as the template escaped it (`html.escape`, as Django's `escape` calls it)."""
    done_url = url_maker("incidents:action_done", concern.pk)
    day, moment = formatters()
    # The labels in the active language, once per page rather than once per row.
    kinds = {value: escape(str(label)) for value, label in Entry.Kind.choices}
    referrals = {value: escape(str(label)) for value, label in Referral.choices}
    risks = {value: escape(str(label)) for value, label in Concern.Risk.choices}

    def who(user) -> str:
        return escape(user.get_full_name() or user.username) if user else "a former user"

    def paragraph(label: str, value: str) -> str:
        return f'<p class="mb-1">{label}{escape(value)}</p>' if value else ""

    rows = []
    for entry in entries:
        action = ""
        if entry.kind == Entry.Kind.ACTION:
            if not entry.action_done:
                done = "not done yet"
            elif entry.action_done_at:
                done = f"done by {who(entry.action_done_by)} on {moment(entry.action_done_at)}"
            else:
                done = "done"
            assignee = who(entry.assignee) if entry.assignee else None
            due = f" · due {day(entry.action_due)}" if entry.action_due else ""
            action = (
                f'<p class="mb-1">Who: {assignee or escape(entry.action_by or "nobody named")}'
                f"{due} ·\n      {done}</p>\n      "
            )
        risk = ""
        if entry.risk_level:
            owner = f" · owner: {escape(entry.owner.get_full_name())}" if entry.owner else ""
            level = risks.get(entry.risk_level) or escape(entry.risk_level)
            risk = f'<p class="mb-1">Risk: {level}{owner}</p>'
        kind = kinds.get(entry.kind) or escape(entry.kind)
        if entry.referral:
            kind += f": {referrals.get(entry.referral) or escape(entry.referral)}"
        author = f", {who(entry.author)}" if entry.author else ""
        told = entry.contact_who and f"{entry.contact_who} ({entry.contact_how})"
        text = f'<p class="mb-1">{linebreaksbr(entry.text)}</p>' if entry.text else ""
        when = entry.referred_at and f'<p class="mb-1">When: {moment(entry.referred_at)}</p>'
        rows.append(
            {
                # Safe: each value above is escaped (or a label escaped once per page).
                "head": SafeString(  # nosec B703
                    f'\n  <li class="border-start border-3 ps-3 mb-3">\n    <h3 class="h6 mb-1">'
                    f'{kind}\n      <small class="text-body-secondary">{moment(entry.at)}'
                    f"{author}</small></h3>\n    {risk}\n    {action}"
                ),
                "done_url": done_url(entry.pk) if entry.pk in may_mark_done else "",
                "tail": SafeString(  # nosec B703
                    ("\n    " if action else "")
                    + f"\n    {when or ''}"
                    + f"\n    {paragraph('Police reference: ', entry.police_reference)}"
                    + f"\n    {paragraph('Outcome: ', entry.referral_outcome)}"
                    + f"\n    {paragraph('Told: ', told)}"
                    + f"\n    {paragraph('Not told because: ', entry.not_told_reason)}"
                    + f"\n    {text}\n  </li>\n  "
                ),
            }
        )
    return rows


def timeline_html(rows: list[dict], csrf_input: str) -> SafeString:
    """The timeline's entries (`for_page`) as one piece of HTML, each action the viewer may
    mark done with its form (`csrf_input`: the form's hidden token field), as the template's
    loop placed them: 200 iterations of a template loop cost more than the join."""
    button = (
        f'{csrf_input}\n        <button class="btn btn-outline-success btn-sm" '
        'type="submit">Mark this action done</button></form>'
    )

    def done(url: str) -> str:
        return f'<form method="post" action="{escape(url)}" class="mb-1">{button}' if url else ""

    return SafeString(  # nosec B703 - each part escaped in for_page, the URL here
        "".join(row["head"] + done(row["done_url"]) + row["tail"] for row in rows)
    )


def access_rows(views) -> list[SafeString]:
    """The rows of the page's access log (who viewed the record, or was refused it), each
    formatted once: 50 rows placed by the template, with their `|date`, were an eighth of the
    page's time. The HTML is what the template wrote (tests/incidents/test_concern_page.py)."""
    _, moment = formatters()
    actions = {value: escape(str(label)) for value, label in AccessLog.Action.choices}
    rows = []
    for view in views:
        what = escape(view.what)
        if view.outcome == AccessLog.Outcome.REFUSED:
            done = f'<span class="badge text-bg-danger">Refused</span> {escape(view.action)} {what}'
        else:
            done = f"{actions.get(view.action) or escape(view.action)} {what}"
        rows.append(
            SafeString(  # nosec B703 - every value escaped just here
                f"<tr><td>{escape(view.user_name)}</td><td>{moment(view.at)}</td>"
                f"<td>{done}</td></tr>"
            )
        )
    return rows
