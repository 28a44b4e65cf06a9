"""Every create form is sent once.

A create form carries a one-time key (`{% submit_once %}` beside `{% csrf_token %}`). The first
POST with a key claims it and runs the view in the same transaction; when the view answers with
a redirect (the record was made), the key keeps where it went. A second POST with the key (Enter
pressed twice, Back then Record again, a browser re-sending) does not reach the view: it is sent
to the record the first one made, with a message. Two presses at the same moment are serialised
by the key's unique index: the second waits for the first to commit, then finds it.

A POST whose first attempt was refused (the form had an error) frees its key, so the corrected
form goes through. A POST without a key (a script, an old page) is served as before.
"""

import logging
import uuid
from datetime import timedelta

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

log = logging.getLogger(__name__)

FIELD = "_once"
KEEP = timedelta(days=2)
ALREADY = "This was already saved: here it is. Nothing was saved twice."
ALREADY_ELSEWHERE = "This form was already sent. Nothing was saved twice."


def _key(request) -> uuid.UUID | None:
    if request.method != "POST" or not getattr(request.user, "is_authenticated", False):
        return None
    raw = request.POST.get(FIELD)
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


class SubmitOnceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = _key(request)
        if key is None:
            return self.get_response(request)
        from roper.models import Submission

        with transaction.atomic():
            try:
                # A savepoint: a duplicate key aborts only this insert. On PostgreSQL an insert
                # racing another transaction's uncommitted one waits for it, then fails here.
                with transaction.atomic():
                    claim = Submission.objects.create(key=key, user=request.user)
            except IntegrityError:
                claim = None
            if claim is None:
                return self._already(request, key)
            response = self.get_response(request)
            if response.status_code in (301, 302, 303) and response.get("Location"):
                claim.url = response["Location"][:500]
                claim.save(update_fields=["url"])
            else:
                claim.delete()
            return response

    def _already(self, request, key):
        from roper.models import Submission

        earlier = Submission.objects.filter(key=key, user=request.user).first()
        if earlier is not None and earlier.url:
            messages.info(request, ALREADY)
            return HttpResponseRedirect(earlier.url)
        # Another user's key (never given to this user), or a claim whose view failed: do
        # nothing, and say so on the page the user came from.
        log.warning("submit-once key %s sent again by user %s", key, request.user.pk)
        messages.warning(request, ALREADY_ELSEWHERE)
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = "/"
        return HttpResponseRedirect(back)


def submissions_forget(*, now=None) -> int:
    """Delete keys older than KEEP (a back button two days later makes a new record)."""
    from roper.models import Submission

    now = now or timezone.now()
    deleted, _ = Submission.objects.filter(created_at__lt=now - KEEP).delete()
    return deleted
