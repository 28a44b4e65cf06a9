"""Error pages that say what to do and show no internals."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import get_template


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
