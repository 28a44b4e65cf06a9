from django.core.exceptions import SuspiciousOperation

from roper.permissions import schools_of

SESSION_KEY = "roper_school_id"


def active_school(request):
    """The school the user is working in: the one chosen in the session, else their first."""
    schools = schools_of(request.user)
    if not schools:
        return None
    chosen = request.session.get(SESSION_KEY)
    return next((s for s in schools if s.pk == chosen), schools[0])


class SchoolMiddleware:
    """Sets `request.school`. It costs the one memberships query (joined with schools) that
    every permission check of the request then reuses; none for signed-out visitors."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.school = active_school(request) if request.user.is_authenticated else None
        return self.get_response(request)


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no inline script anywhere: behaviour lives in static/js/
        # Inline style attributes are allowed (progress bars, print widths); style elements
        # and styles from elsewhere are not.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


#: The attribute in which a page names the other origins its forms post to: the sign-in
#: page's "Sign in with Microsoft / Google" buttons are answered with a redirect to the
#: identity provider, which `form-action` governs too (sso/templatetags/sso.py sets it).
FORM_ACTION_ORIGINS = "roper_form_action_origins"


def _policy(request) -> str:
    origins = sorted(set(getattr(request, FORM_ACTION_ORIGINS, ())))
    if not origins:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", " ".join(["form-action 'self'", *origins])
    )


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy, no caching of signed-in pages, and the headers
    Django's SecurityMiddleware leaves out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", _policy(request))
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        # Every signed-in page may show a concern, a chronology or a child's details: none is
        # kept by the browser or a proxy (a shared office computer's Back button included).
        # A response made before authentication ran (a 400 for a bad Host header, raised in
        # CommonMiddleware) has no `request.user`, and no signed-in content either.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store, private"
        return response


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())


class RefuseNulMiddleware:
    """Refuses, with a 400 page, a request whose query or form carries a NUL character.

    No keyboard types one and PostgreSQL cannot store one in a text column: without this a
    hostile value reaching a search box or a plain form field would end in a server error.
    Checked once here rather than field by field in every view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        posted = request.POST if request.method == "POST" else None
        uploads = request.FILES.values() if posted is not None else ()
        if (
            _has_nul(request.GET)
            or (posted is not None and _has_nul(posted))
            or any("\x00" in (f.name or "") for f in uploads)
        ):
            raise SuspiciousOperation("A NUL character in the request's fields.")
        return self.get_response(request)
