"""Kepro LOGIN at the edge: the OpenID Connect client behind staff single sign-on.

LOGIN sends the browser to the identity provider (``authorization_url``); ``identity`` redeems
the code its callback brings, and believes the ID token only after every check: signature,
issuer, audience, expiry, this flow's nonce, a verified email at one of STAFF_EMAIL_DOMAINS.
State, nonce and PKCE verifier are derived from SECRET_KEY and the flow id (``flow_secrets``),
so nothing is stored for the callback: whichever API process gets it computes them again.
Tokens, codes and secrets never go into a log line or an exception message.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import re
import ssl
import time
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.integrations.base_client import OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ClaimError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from domain.digests import derive_key
from domain.staff_identity import StaffIdentity
from settings import Settings

with warnings.catch_warnings():
    # authlib prefers its httpx2 fork and warns at import that it falls back to httpx, which is
    # the project's HTTP client on purpose: the warning would only be noise at every start.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

log = logging.getLogger("atrezzo.api")

SIGN_ON_KEY = "staff-sign-on"  # derive_key purpose: the per-flow state, nonce and verifier
LEEWAY_SECONDS = 60  # clock skew allowed between the provider and us on exp / iat / nbf
CACHE_SECONDS = 3600  # discovery document and signing keys are fetched again after this
_TIMEOUT = 5.0
# Only signatures made with the provider's private key: "none" proves nothing, and an HS*
# signature would be keyed with the client secret, which this portal holds as well.
_ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
                         "Ed25519"})
_OAUTH_ERROR_CODE = re.compile(r"[a-z_]{1,40}")


class StaffSignInRefused(Exception):
    """The provider's answer was not accepted. ``code`` names why (the flow's REFUSALS say it to
    the person), ``reason`` is what failed, for the audit log (a claim name or error type,
    never a value)."""

    def __init__(self, code: str, *, reason: str = "") -> None:
        self.code = code
        self.reason = reason or code
        super().__init__(f"staff sign-in refused ({code}: {self.reason})")


class _UnknownSigningKey(StaffSignInRefused):
    """The token names a key the fetched key set lacks: the provider may have rotated its keys."""


@dataclass(frozen=True)
class FlowSecrets:
    state: str
    nonce: str
    code_verifier: str  # 43 base64url characters: within PKCE's 43-128 unreserved characters


def flow_secrets(secret_key: str, flow_id: str) -> FlowSecrets:
    """The state, nonce and PKCE verifier of one staff sign-in, the same each time they are
    computed for ``flow_id`` and unguessable without SECRET_KEY."""
    if not flow_id:
        raise ValueError("flow_secrets needs the flow id the sign-in belongs to")
    key = derive_key(secret_key, SIGN_ON_KEY)

    def derived(label: str) -> str:
        digest = hmac.new(key, f"{label}:{flow_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    return FlowSecrets(state=derived("state"), nonce=derived("nonce"), code_verifier=derived("pkce-verifier"))


def check_id_token(
    id_token: str, jwks: dict[str, Any], *, issuer: str, client_id: str, nonce: str, algorithms: list[str],
    staff_domains: frozenset[str], groups_claim: str, access_token: str | None = None, now: int | None = None,
) -> StaffIdentity:
    """The staff member an ID token names, once it passed every check; else StaffSignInRefused."""
    allowed = [alg for alg in algorithms if alg in _ASYMMETRIC] or ["RS256"]  # RS256: OIDC's default
    token = _verified_token(id_token, jwks, allowed)
    # authlib's own defaults leave ``aud`` unchecked: every option is spelled out here.
    options = {"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": client_id},
               "nonce": {"essential": True, "value": nonce}, "sub": {"essential": True},
               "exp": {"essential": True}, "iat": {"essential": True}}
    claims = CodeIDToken(token.claims, token.header, options,
                         {"nonce": nonce, "client_id": client_id, "access_token": access_token})
    try:
        claims.validate(now=now, leeway=LEEWAY_SECONDS)  # also azp, at_hash, auth_time
    except ClaimError as exc:
        raise StaffSignInRefused("token", reason=exc.claim) from None
    except (JoseError, ValueError, TypeError) as exc:
        raise StaffSignInRefused("token", reason=type(exc).__name__) from None
    # Who the person is, checked only once the token is known to be genuine and ours.
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        raise StaffSignInRefused("unverified_email", reason="email")
    if claims.get("email_verified") is not True:  # the JSON true: not 1, not "true"
        raise StaffSignInRefused("unverified_email", reason="email_verified")
    email = email.strip().lower()
    local, _, domain = email.rpartition("@")
    if not local or "@" in local or domain not in staff_domains:
        raise StaffSignInRefused("not_staff_domain", reason="email domain")
    groups = claims.get(groups_claim)
    return StaffIdentity(
        issuer=issuer, subject=claims["sub"], email=email,
        **{part: claims[part] for part in ("given_name", "family_name", "name") if isinstance(claims.get(part), str)},
        groups=tuple(groups) if isinstance(groups, list) and all(isinstance(g, str) for g in groups) else (),
    )


def _verified_token(id_token: str, jwks: dict[str, Any], algorithms: list[str]) -> jwt.Token:
    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, KeyError, TypeError):
        raise StaffSignInRefused("unavailable", reason="jwks") from None
    try:
        return jwt.decode(id_token, keys, registry=JWSRegistry(algorithms=algorithms))
    except InvalidKeyIdError:
        raise _UnknownSigningKey("token", reason="kid") from None
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise StaffSignInRefused("token", reason=type(exc).__name__) from None


_Fetched = tuple[dict[str, Any], float]  # a document, and when (time.monotonic) it was fetched


def _fresh(fetched: _Fetched | None) -> dict[str, Any] | None:
    return fetched[0] if fetched is not None and time.monotonic() - fetched[1] < CACHE_SECONDS else None


class StaffIdentityProvider:
    """The identity provider at STAFF_OIDC_ISSUER, as its discovery document describes it."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        if not settings.staff_sign_on:
            raise ValueError("STAFF_OIDC_ISSUER is not set: staff single sign-on is off")
        self._settings = settings
        self._http = http
        self._owns_http = http is None
        self._tls: ssl.SSLContext | None = None
        self._discovery: _Fetched | None = None
        self._keys: _Fetched | None = None

    async def authorization_url(self, flow_id: str) -> str:
        """Where LOGIN sends the browser for the sign-in ``flow_id``."""
        metadata = await self._metadata()
        derived = flow_secrets(self._settings.secret_key, flow_id)
        async with self._oauth_client(metadata) as oauth:
            url, _ = oauth.create_authorization_url(metadata["authorization_endpoint"], state=derived.state,
                                                    code_verifier=derived.code_verifier, nonce=derived.nonce)
        return url

    async def identity(self, flow_id: str, *, code: str, state: str) -> StaffIdentity:
        """Who signed in, from the code and state the provider's callback carried."""
        derived = flow_secrets(self._settings.secret_key, flow_id)
        # Checked before anything leaves this process: a code sent with another flow's state is
        # not this flow's to redeem (login CSRF).
        if not hmac.compare_digest(state.encode(), derived.state.encode()):
            raise StaffSignInRefused("state")
        if not code:
            raise StaffSignInRefused("provider_error", reason="code")
        metadata = await self._metadata()
        token = await self._redeem(metadata, code, derived.code_verifier)
        id_token, access_token = token.get("id_token"), token.get("access_token")
        if not isinstance(id_token, str):
            raise StaffSignInRefused("token", reason="id_token")
        settings = self._settings
        check = functools.partial(
            check_id_token, id_token, issuer=settings.staff_oidc_issuer, client_id=settings.staff_oidc_client_id,
            nonce=derived.nonce, algorithms=metadata.get("id_token_signing_alg_values_supported") or ["RS256"],
            staff_domains=settings.staff_domains, groups_claim=settings.staff_oidc_groups_claim,
            access_token=access_token if isinstance(access_token, str) else None)
        try:
            return check(await self._signing_keys(metadata))
        except _UnknownSigningKey:
            # The provider rotated its keys since they were fetched: fetch them once more.
            return check(await self._signing_keys(metadata, refetch=True))

    async def end_session_url(self, post_logout_redirect_uri: str) -> str | None:
        """Where the browser signs out at the provider too; None when the provider has no such page."""
        endpoint = (await self._metadata()).get("end_session_endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            return None
        params = {"client_id": self._settings.staff_oidc_client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
        return str(httpx.URL(endpoint).copy_merge_params(params))

    async def aclose(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _redeem(self, metadata: dict[str, Any], code: str, code_verifier: str) -> dict[str, Any]:
        try:
            async with self._oauth_client(metadata) as oauth:
                return await oauth.fetch_token(
                    metadata["token_endpoint"], grant_type="authorization_code", code=code, code_verifier=code_verifier,
                )
        except OAuthError as exc:
            # The provider turned the code down (used, expired, not issued to us): its error code
            # says which; its description may quote what was sent, so it is not kept.
            error = exc.error if isinstance(exc.error, str) and _OAUTH_ERROR_CODE.fullmatch(exc.error) else "oauth"
            raise StaffSignInRefused("provider_error", reason=error) from None
        except httpx.HTTPError as exc:
            status = exc.response.status_code if isinstance(exc, httpx.HTTPStatusError) else None
            if status is not None and status < 500:
                raise StaffSignInRefused("provider_error", reason=f"http {status}") from None
            log.warning("staff sign-on: the token endpoint failed (%s)", status or type(exc).__name__)
            raise StaffSignInRefused("unavailable", reason="token endpoint") from None
        except ValueError:  # an answer that is not a JSON object
            raise StaffSignInRefused("provider_error", reason="token response") from None

    def _oauth_client(self, metadata: dict[str, Any]) -> AsyncOAuth2Client:
        # One per use: authlib keeps the last token it fetched on the client, and nothing here
        # should hold on to one. The shared TLS context keeps that cheap.
        settings = self._settings
        return AsyncOAuth2Client(
            client_id=settings.staff_oidc_client_id, client_secret=settings.staff_oidc_client_secret,
            token_endpoint_auth_method=_client_auth_method(metadata), scope=settings.staff_oidc_scopes,
            redirect_uri=settings.staff_oidc_redirect_uri, code_challenge_method="S256",
            timeout=_TIMEOUT, verify=self._tls_context(),
        )

    async def _metadata(self) -> dict[str, Any]:
        if cached := _fresh(self._discovery):
            return cached
        issuer = self._settings.staff_oidc_issuer
        document = await self._fetch_json(f"{issuer.rstrip('/')}/.well-known/openid-configuration", "discovery")
        # A document that names another issuer describes another provider (or a mistyped one).
        if document.get("issuer") != issuer:
            log.warning("staff sign-on: the discovery document names another issuer than STAFF_OIDC_ISSUER")
            raise StaffSignInRefused("unavailable", reason="issuer")
        for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(endpoint), str) or not document[endpoint]:
                raise StaffSignInRefused("unavailable", reason=endpoint)
        self._discovery = (document, time.monotonic())
        return document

    async def _signing_keys(self, metadata: dict[str, Any], *, refetch: bool = False) -> dict[str, Any]:
        if not refetch and (cached := _fresh(self._keys)):
            return cached
        document = await self._fetch_json(metadata["jwks_uri"], "jwks")
        self._keys = (document, time.monotonic())
        return document

    async def _fetch_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            document = (await self._client().get(url, timeout=_TIMEOUT)).raise_for_status().json()
            if not isinstance(document, dict):
                raise TypeError(f"the {what} is not a JSON object")
        except (httpx.HTTPError, ValueError, TypeError) as exc:
            log.warning("staff sign-on: the identity provider's %s could not be fetched (%s)", what, type(exc).__name__)
            raise StaffSignInRefused("unavailable", reason=what) from None
        return document

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=_TIMEOUT, verify=self._tls_context())
        return self._http

    def _tls_context(self) -> ssl.SSLContext:
        # Loading the CA bundle takes a moment and blocks: once per provider, not per request.
        if self._tls is None:
            self._tls = httpx.create_ssl_context()
        return self._tls


def _client_auth_method(metadata: dict[str, Any]) -> str:
    """client_secret_basic (OAuth's default), or client_secret_post where the provider takes only that."""
    supported = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    only_post = "client_secret_basic" not in supported and "client_secret_post" in supported
    return "client_secret_post" if only_post else "client_secret_basic"
