"""The OpenID Connect provider, as django-allauth runs it, with two changes: the ID token's
signature is always checked against the provider's published keys (allauth skips it for a
token fetched over TLS), and only the ID token is read (no userinfo), so that every claim
Roper relies on (email_verified, tid, hd, amr) is one the provider signed."""

import json

import jwt
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.utils import build_absolute_uri
from django.urls import reverse
from django.utils.http import urlencode

#: Signatures accepted: asymmetric only (never "none", never a shared secret).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]


def id_token_verify(*, id_token: str, jwks_uri: str, issuer: str, audience: str) -> dict:
    """The ID token's claims, once its signature is checked against the provider's published
    keys (by `kid`, or the only key when the token names none, as OpenID Connect allows), and
    its issuer, audience and expiry; a token seen before is refused (allauth's `jti` check)."""
    try:
        header = jwt.get_unverified_header(id_token)
        if header.get("alg") not in ALGORITHMS:
            raise OAuth2Error(f"ID token signed with {header.get('alg')!r}")
        with get_adapter().get_requests_session() as session:
            response = session.get(jwks_uri)
            response.raise_for_status()
            keys = response.json().get("keys", [])
        kid = header.get("kid")
        found = [k for k in keys if k.get("kid") == kid] if kid else keys
        if len(found) != 1:
            raise OAuth2Error("No single published key matches the ID token")
        key = jwt.PyJWK.from_json(json.dumps(found[0]), algorithm=header["alg"]).key
        claims = jwt.decode(
            id_token,
            key=key,
            algorithms=[header["alg"]],
            issuer=issuer,
            audience=audience,
            options={"require": ["iss", "aud", "exp", "iat", "sub"]},
        )
        jwtkit.verify_jti(claims)
        return claims
    except jwt.PyJWTError as error:
        raise OAuth2Error("Invalid ID token") from error


class Adapter(OpenIDConnectOAuth2Adapter):
    def _decode_id_token(self, app, id_token: str) -> dict:
        return id_token_verify(
            id_token=id_token,
            jwks_uri=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
        )

    def get_callback_url(self, request, app):
        url = reverse("sso:callback", kwargs={"provider_id": self.provider_id})
        return build_absolute_uri(request, url, self.redirect_uri_protocol)


class Provider(OpenIDConnectProvider):
    id = "roper_oidc"
    name = "Single sign-on"
    oauth2_adapter_class = Adapter

    def get_login_url(self, request, **kwargs):
        url = reverse("sso:login", kwargs={"provider_id": self.app.provider_id})
        return f"{url}?{urlencode(kwargs)}" if kwargs else url

    def get_auth_params_from_request(self, request, action):
        """Only Roper's own parameters: allauth would add any the request names."""
        return self.get_auth_params()

    def get_callback_url(self):
        return reverse("sso:callback", kwargs={"provider_id": self.app.provider_id})


provider_classes = [Provider]
