"""Error pages that say what to do and show no internals, and the one refusal.

`Refused` is the one exception for "the rules do not allow this": a service or a model
raises it, with a message in plain words for the member of staff, and changes nothing.
A view shows it one of two ways:
- `@refusal_redirects(to)` (function views): the message, and a redirect;
- `RefusalFormMixin` (form views): the message as an error on the form.
"""

import sys
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template
from django.urls import reverse


class Refused(Exception):
    """A change the rules refuse. `str(refused)` is the message for the person who asked."""


def refusal_redirects(to: str | Callable, *, level: str = "error") -> Callable:
    """A `Refused` raised by the view becomes a message (`level`: error, warning, info) and a
    redirect: to the URL name `to`, reversed with the view's URL arguments, or to the URL that
    `to(request, **kwargs)` gives."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except Refused as refusal:
                getattr(messages, level)(request, str(refusal))
                url = to(request, **kwargs) if callable(to) else reverse(to, kwargs=kwargs)
                return redirect(url)

        return wrapped

    return decorator


class RefusalFormMixin:
    """For form views: a `Refused` raised while the valid form is acted on shows as an error
    on the form, which is shown again."""

    def get_form(self, form_class=None):
        self._form = super().get_form(form_class)
        return self._form

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except Refused as refusal:
            self._form.add_error(None, str(refusal))
            return self.form_invalid(self._form)


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    """A plain page (no request context: the failure may be in a context processor or the
    database). When the database is out of reach, say so with a 503 and when to retry:
    every change is made in a transaction, so nothing was half-saved."""
    exception = sys.exc_info()[1]
    if isinstance(exception, OperationalError | InterfaceError):
        response = HttpResponse(get_template("503.html").render(), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponse(get_template("500.html").render(), status=500)
