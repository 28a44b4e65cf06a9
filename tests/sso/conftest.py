"""A real OpenID Connect provider for the tests: oidc-provider-mock (authlib's server, in a
thread on this machine), with discovery, the authorization-code flow, a token endpoint and
RS256-signed ID tokens published at its JWKS. Roper talks to it over HTTP exactly as to
Microsoft or Google; a test says who the provider vouches for (`idp.person`) and signs in
through its form (`idp.authorize`)."""

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import oidc_provider_mock
import pytest
import requests

from sso.models import IdentityProvider

TENANT = "7f0c5d1e-2c1b-4c5e-9d3a-1a2b3c4d5e6f"
DOMAIN = "anthonyroper.example"


@dataclass
class LocalProvider:
    url: str

    def person(self, sub: str, **claims) -> None:
        """Who the provider vouches for when `sub` signs in: the claims of their ID token."""
        response = requests.put(f"{self.url}/users/{quote(sub, safe='')}", json=claims, timeout=5)
        assert response.status_code == 204, response.text

    def authorize(self, authorize_url: str, sub: str) -> str:
        """The person signs in at the provider's form; the provider's answer: the redirect
        back to Roper, with a code (a path and query, for Django's test client)."""
        response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        back = urlsplit(response.headers["Location"])
        return f"{back.path}?{back.query}"


@pytest.fixture(scope="session")
def local_idp():
    with oidc_provider_mock.run_server_in_thread() as server:
        yield LocalProvider(url=f"http://localhost:{server.server_port}")


@pytest.fixture
def entra(world, local_idp):
    """The school's Microsoft 365, as Roper is configured for it (the issuer is the local one)."""
    return IdentityProvider.objects.create(
        kind=IdentityProvider.Kind.ENTRA,
        school=world.school,
        client_id="roper-anthony",
        secret="not-a-real-secret",
        tenant_id=TENANT,
        issuer=local_idp.url,
    )


@pytest.fixture
def google(world, local_idp):
    return IdentityProvider.objects.create(
        kind=IdentityProvider.Kind.GOOGLE,
        school=world.school,
        client_id="roper-anthony-google",
        secret="not-a-real-secret",
        domain=DOMAIN,
        issuer=local_idp.url,
    )
