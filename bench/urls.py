"""The benchmark's URLs: Roper's own, plus the floor every page is compared with.

`bench/signed-in` is the minimal signed-in view: the whole middleware runs (session, user,
two-factor device, memberships and the active school) and the view itself does nothing else.
It exists only under this URLconf, which the in-process cases use (bench/cases.py); Roper
never serves it."""

from django.http import HttpResponse
from django.urls import path

from roper import urls as roper_urls


def signed_in(request):
    """The floor: who is signed in and their active school, as plain text."""
    school = request.school
    return HttpResponse(
        f"{request.user.get_username()} {school.pk if school else '-'}",
        content_type="text/plain",
    )


urlpatterns = [path("bench/signed-in", signed_in, name="bench_signed_in"), *roper_urls.urlpatterns]

handler400 = roper_urls.handler400
handler403 = roper_urls.handler403
handler404 = roper_urls.handler404
handler500 = roper_urls.handler500
