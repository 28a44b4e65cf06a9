from urllib.parse import urlsplit

from django import template
from django.utils.http import url_has_allowed_host_and_scheme

from roper.middleware import FORM_ACTION_ORIGINS
from sso.models import IdentityProvider

register = template.Library()


@register.inclusion_tag("sso/_buttons.html", takes_context=True)
def sso_buttons(context):
    """The "Sign in with Microsoft / Google" buttons, one per configured provider (none when
    single sign-on is not set up). Two of one kind say whose they are."""
    request = context["request"]
    providers = list(
        IdentityProvider.objects.filter(enabled=True).select_related("school", "trust")
    )
    kinds = [p.kind for p in providers]
    # The button's answer is a redirect to the provider: the page's policy must allow it.
    origins = {"{0.scheme}://{0.netloc}".format(urlsplit(p.issuer_url())) for p in providers}
    setattr(request, FORM_ACTION_ORIGINS, sorted(origins))
    for provider in providers:
        provider.several = kinds.count(provider.kind) > 1
    next_url = context.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    return {
        "providers": providers,
        "next": next_url,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
