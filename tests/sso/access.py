from django.urls import reverse

from tests.access import Case, everyone


def _provider(world, user):
    from sso.models import IdentityProvider

    return IdentityProvider.objects.create(
        kind="entra", school=world.school, client_id="c", secret="s", tenant_id="t"
    ).provider_id


ACCESS = {
    # Public, like the sign-in page: they sign in only whom the school's provider vouches for
    # (tests/sso/test_sign_in.py). The button is a POST with the CSRF token; the provider
    # comes back with a GET.
    "sso:login": Case(
        lambda w, u: reverse("sso:login", args=[_provider(w, u)]),
        everyone(405),
        login_required=False,
    ),
    "sso:callback": Case(
        lambda w, u: reverse("sso:callback", args=[_provider(w, u)]),
        everyone(405),
        method="post",
        login_required=False,
    ),
}
