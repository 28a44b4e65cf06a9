"""Drafts of long forms, kept on the server in the author's name (issue 16: WCAG 2.2.1).

A view that keeps drafts is marked `@keeps_draft(name, permission)`. Its form saves itself as the
person types (roper.js posts the form, without files, to `roper:draft_save`), and when the
inactivity sign-out catches the form being sent, the sign-out keeps it as a draft before it ends
the session (roper.sessions). The form's view restores the draft on the next visit and deletes it
when the form is sent. Nothing is kept in the browser's storage; a draft is read only by its
author and forgotten after a week (the `drafts` job).
"""

from datetime import timedelta

from django.http import QueryDict
from django.urls import Resolver404, resolve
from django.utils import timezone

#: Form name -> (the permission needed to use it, and so to keep a draft of it; its URL name).
FORMS: dict[str, tuple[str, str]] = {}
NOT_KEPT = {"csrfmiddlewaretoken", "_once"}
MAX_BYTES = 64 * 1024
KEEP = timedelta(days=7)


def keeps_draft(name: str, *, permission: str, url_name: str):
    FORMS[name] = (permission, url_name)

    def mark(view):
        view.draft_name = name
        return view

    return mark


def draft_name_of(path: str) -> str | None:
    """The draft name of the view at `path`, if it keeps drafts."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return getattr(match.func, "draft_name", None)


def _values(data: QueryDict) -> dict[str, list[str]]:
    return {key: values for key, values in data.lists() if key not in NOT_KEPT}


def draft_save(*, user, school, name: str, data: QueryDict):
    """Keep what the form holds (files are not kept). Returns the draft, or None when there is
    too much to keep."""
    from roper.models import Draft

    values = _values(data)
    if sum(len(k) + sum(len(v) for v in vs) for k, vs in values.items()) > MAX_BYTES:
        return None
    draft, _ = Draft.objects.update_or_create(
        user=user,
        school=school,
        name=name,
        defaults={"data": values, "saved_at": timezone.now()},
    )
    return draft


def draft_for(*, user, school, name: str):
    from roper.models import Draft

    return Draft.objects.filter(user=user, school=school, name=name).first()


def draft_discard(*, user, school, name: str) -> None:
    from roper.models import Draft

    Draft.objects.filter(user=user, school=school, name=name).delete()


def drafts_forget(*, now=None) -> int:
    from roper.models import Draft

    deleted, _ = Draft.objects.filter(saved_at__lt=(now or timezone.now()) - KEEP).delete()
    return deleted
