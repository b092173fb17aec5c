"""The local OpenID provider behind the Kepro LOGIN (devstack/oidc_provider.py): its issuer is
the loopback address it was reached at, it signs its identities' claims, and it exchanges a
code only for the PKCE verifier the code was asked with (oidc-provider-mock alone does not
check PKCE: these tests are what proves the wrapper does)."""

from __future__ import annotations

import secrets

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from joserfc import jwt
from joserfc.jwk import KeySet

# Never followed: choose() answers the Location the provider sends the browser to.
REDIRECT_URI = "http://127.0.0.1:9/staff/callback"


async def _get_json(url: str) -> dict:
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    response.raise_for_status()
    return response.json()


def _client(provider, **pkce) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(provider.client_id, provider.client_secret, scope="openid email profile",
                             redirect_uri=REDIRECT_URI, **pkce)


async def _code(provider, meta: dict, client: AsyncOAuth2Client, sub: str, **params) -> str:
    """A person picks ``sub`` on the provider's page; the code it sends back with our state."""
    params.setdefault("nonce", secrets.token_urlsafe(16))
    url, state = client.create_authorization_url(meta["authorization_endpoint"], **params)
    async with httpx.AsyncClient() as http:
        location = httpx.URL(await provider.choose(http, url, sub))
    assert str(location.copy_with(query=None)) == REDIRECT_URI and location.params["state"] == state
    return location.params["code"]


async def test_discovery_names_the_loopback_issuer(oidc_provider):
    meta = await _get_json(f"{oidc_provider.issuer}/.well-known/openid-configuration")
    assert oidc_provider.issuer.startswith("http://127.0.0.1:")
    assert meta["issuer"] == oidc_provider.issuer
    assert meta["token_endpoint"] == f"{oidc_provider.issuer}/oauth2/token"


@pytest.mark.parametrize("who, verified", [("demo", True), ("unverified", False), ("outsider", True)])
async def test_the_right_verifier_gets_an_id_token_with_the_identity_claims(oidc_provider, who, verified):
    identity = getattr(oidc_provider, who)
    meta = await _get_json(f"{oidc_provider.issuer}/.well-known/openid-configuration")
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    async with _client(oidc_provider, code_challenge_method="S256") as client:
        code = await _code(oidc_provider, meta, client, identity.sub, code_verifier=verifier, nonce=nonce)
        token = await client.fetch_token(meta["token_endpoint"], code=code, code_verifier=verifier)
    keys = KeySet.import_key_set(await _get_json(meta["jwks_uri"]))
    claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["iss"] == oidc_provider.issuer and claims["nonce"] == nonce
    assert oidc_provider.client_id in ([claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"])
    assert (claims["sub"], claims["email"], claims["email_verified"]) == (identity.sub, identity.email, verified)
    if who == "demo":
        assert claims["groups"] == ["kepro-staff"] and claims["name"] == "Demo Staff"


@pytest.mark.parametrize("sent", [{"code_verifier": secrets.token_urlsafe(48)}, {}], ids=["wrong verifier", "no verifier"])
async def test_a_code_is_not_exchanged_without_its_verifier_and_is_spent_by_trying(oidc_provider, sent):
    meta = await _get_json(f"{oidc_provider.issuer}/.well-known/openid-configuration")
    verifier = secrets.token_urlsafe(48)
    async with _client(oidc_provider, code_challenge_method="S256") as client:
        code = await _code(oidc_provider, meta, client, oidc_provider.demo.sub, code_verifier=verifier)
        with pytest.raises(OAuthError) as refused:
            await client.fetch_token(meta["token_endpoint"], code=code, **sent)
        assert refused.value.error == "invalid_grant"
        # The right verifier after a wrong try: too late, as an intercepted code must be.
        with pytest.raises(OAuthError):
            await client.fetch_token(meta["token_endpoint"], code=code, code_verifier=verifier)


@pytest.mark.parametrize("pkce", [{}, {"code_challenge": secrets.token_urlsafe(48), "code_challenge_method": "plain"}],
                         ids=["no challenge", "plain challenge"])
async def test_an_authorization_request_without_an_s256_challenge_is_refused(oidc_provider, pkce):
    meta = await _get_json(f"{oidc_provider.issuer}/.well-known/openid-configuration")
    async with _client(oidc_provider) as client:
        url, _ = client.create_authorization_url(meta["authorization_endpoint"], nonce="n", **pkce)
        assert "code_challenge_method=S256" not in url
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"
        with pytest.raises(AssertionError, match="refused the authorization request"):
            await oidc_provider.choose(http, url, oidc_provider.demo.sub)
