"""Kepro LOGIN's OpenID Connect client: the ID token's checks on forged tokens, the per-flow secrets,
what it sends to a provider served here over HTTP, and a whole sign-in at `make dev`'s provider."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import secrets
import threading
import time
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from api.staff_identity import StaffIdentityProvider, StaffSignInRefused, check_id_token, flow_secrets
from devstack.ports import free_port
from tests.support.temporal import make_settings
from domain.staff_identity import StaffIdentity

ISSUER, CLIENT_ID, CLIENT_SECRET = "https://login.kepro.example", "atrezzo-staff", secrets.token_urlsafe(16)
NONCE = secrets.token_urlsafe(32)


@functools.cache
def rsa_key(name: str) -> RSAKey:
    """One key per name, whose kid is the name's first word: "k1" and "k1 forged" share theirs."""
    return RSAKey.generate_key(2048, parameters={"kid": name.split()[0]}, private=True)


def jwks(*keys: RSAKey) -> dict:
    return KeySet(list(keys or [rsa_key("k1")])).as_dict(private=False)


def claims(**changes: object) -> dict:
    now = int(time.time())
    values = {"iss": ISSUER, "aud": CLIENT_ID, "sub": "staff-0042", "iat": now, "exp": now + 300, "nonce": NONCE,
              "email": "Pat.Lee@Kepro.com", "email_verified": True, "name": "Pat Lee", "given_name": "Pat",
              "family_name": "Lee", "groups": ["kepro-staff", "reviewers"]}
    values.update(changes)
    return {name: value for name, value in values.items() if value is not ...}  # ... leaves a claim out


def signed(key: str = "k1", **changes: object) -> str:
    return jwt.encode({"alg": "RS256", "kid": rsa_key(key).kid}, claims(**changes), rsa_key(key))


def unsigned(**changes: object) -> str:
    part = lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none'})}.{part(claims(**changes))}."


def check(token: str, **options: object) -> StaffIdentity:
    expected = {"issuer": ISSUER, "client_id": CLIENT_ID, "nonce": NONCE, "staff_domains": frozenset({"kepro.com"})}
    return check_id_token(token, jwks(), **{**expected, "algorithms": ["RS256"], "groups_claim": "groups", **options})


def test_a_genuine_token_names_the_staff_member():
    assert check(signed()) == StaffIdentity(
        issuer=ISSUER, subject="staff-0042", email="pat.lee@kepro.com", given_name="Pat", family_name="Lee",
        name="Pat Lee", groups=("kepro-staff", "reviewers"))
    # A list of our client among others, with azp naming us; and a token expired within the leeway.
    assert check(signed(aud=["other-app", CLIENT_ID], azp=CLIENT_ID)).subject == "staff-0042"
    assert check(signed(exp=int(time.time()) - 30)).email == "pat.lee@kepro.com"
    # Groups only as a list of strings; names only as strings.
    assert check(signed(groups="kepro-staff", name=...)).groups == ()
    assert check(signed(groups=["a", 1])).groups == ()
    assert check(signed(groups=...), groups_claim="roles").name == "Pat Lee"


@pytest.mark.parametrize(("token", "code", "reason"), [
    (lambda: signed("k1 forged"), "token", "BadSignatureError"),
    (lambda: signed("k9"), "token", "kid"),
    (lambda: signed(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), "token", "exp"),
    (lambda: signed(aud="other-app"), "token", "aud"),
    (lambda: signed(aud="other-app", azp=CLIENT_ID), "token", "aud"),
    (lambda: signed(aud=["other-app", CLIENT_ID]), "token", "azp"),  # several audiences and no azp
    (lambda: signed(azp="other-app"), "token", "azp"),
    (lambda: signed(iss="https://login.evil.example"), "token", "iss"),
    (lambda: signed(nonce="another-flow"), "token", "nonce"),
    (lambda: signed(nonce=...), "token", "nonce"),
    (lambda: signed(sub=...), "token", "sub"),
    (lambda: signed(email_verified=False), "unverified_email", "email_verified"),
    (lambda: signed(email_verified="true"), "unverified_email", "email_verified"),
    (lambda: signed(email_verified=1), "unverified_email", "email_verified"),
    (lambda: signed(email_verified=...), "unverified_email", "email_verified"),
    (lambda: signed(email=...), "unverified_email", "email"),
    (lambda: signed(email="pat@kepro.com.evil.example"), "not_staff_domain", "email domain"),
    (lambda: signed(email="pat@evil.example@kepro.com"), "not_staff_domain", "email domain"),
    (lambda: unsigned(), "token", "UnsupportedAlgorithmError"),
    (lambda: jwt.encode({"alg": "HS256"}, claims(), OctKey.import_key(CLIENT_SECRET), algorithms=["HS256"]),
     "token", "UnsupportedAlgorithmError"),  # signed with the client secret
])
def test_a_token_failing_a_check_is_refused(token, code, reason):
    # Even when the provider's discovery lists them, "none" and HS* are never accepted.
    with pytest.raises(StaffSignInRefused) as refused:
        check(token(), algorithms=["RS256", "HS256", "none"])
    assert (refused.value.code, refused.value.reason) == (code, reason)
    assert CLIENT_SECRET not in str(refused.value)


def test_flow_secrets_are_the_same_for_one_flow_and_differ_across_flows_and_keys():
    key, other_key = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    first = flow_secrets(key, "staff_login-1")
    assert first == flow_secrets(key, "staff_login-1") and len(set(vars(first).values())) == 3
    for other in (flow_secrets(key, "staff_login-2"), flow_secrets(other_key, "staff_login-1")):
        assert set(vars(other).values()).isdisjoint(vars(first).values())
    assert re.fullmatch(r"[A-Za-z0-9._~-]{43,128}", first.code_verifier)  # RFC 7636's code_verifier
    with pytest.raises(ValueError):
        flow_secrets(key, "")


class ServedProvider(ThreadingHTTPServer):
    """A provider's documents over real HTTP, the token requests it got, and our client of it."""

    def __init__(self, **discovery_changes: object) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = url = f"http://127.0.0.1:{self.server_port}"
        discovery = {"issuer": url, "authorization_endpoint": f"{url}/authorize", "token_endpoint": f"{url}/token",
                     "jwks_uri": f"{url}/jwks", "end_session_endpoint": f"{url}/logout?ui=plain",
                     "id_token_signing_alg_values_supported": ["RS256"], **discovery_changes}
        self.discovery = {name: value for name, value in discovery.items() if value is not ...}
        self.jwks, self.jwks_fetches = jwks(), 0
        self.token_answer: tuple[int, dict] = (400, {"error": "invalid_grant"})
        self.token_requests: list[tuple[dict, str | None]] = []
        self.settings = settings_for(url)
        self.provider = StaffIdentityProvider(self.settings)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.jwks_fetches += self.path == "/jwks"
        documents = {"/.well-known/openid-configuration": self.server.discovery, "/jwks": self.server.jwks}
        self._answer(200, documents[self.path]) if self.path in documents else self._answer(404, {})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.server.token_requests.append((parse_qs(body), self.headers.get("Authorization")))
        self._answer(*self.server.token_answer)

    def _answer(self, status: int, document: dict) -> None:
        content = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args: object) -> None:
        pass


@asynccontextmanager
async def served(**discovery_changes: object):
    server = ServedProvider(**discovery_changes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        await server.provider.aclose()
        server.shutdown()
        server.server_close()


def settings_for(issuer: str):
    return make_settings(staff_oidc_issuer=issuer, staff_oidc_client_id=CLIENT_ID,
                         staff_oidc_client_secret=CLIENT_SECRET, public_base_url="https://portal.example")


async def refusal(pending) -> tuple[str, str]:
    """The code and reason of the StaffSignInRefused that awaiting ``pending`` raises."""
    with pytest.raises(StaffSignInRefused) as refused:
        await pending
    return refused.value.code, refused.value.reason


async def test_the_authorization_url_carries_this_flows_state_nonce_and_pkce_challenge():
    async with served() as idp:
        url = httpx.URL(await idp.provider.authorization_url("staff_login-7"))
        derived = flow_secrets(idp.settings.secret_key, "staff_login-7")
        end_session = await idp.provider.end_session_url("https://portal.example/")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(derived.code_verifier.encode()).digest()).rstrip(b"=").decode()
    assert str(url.copy_with(query=None)) == f"{idp.url}/authorize"
    assert dict(url.params) == {
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": "https://portal.example/staff/callback",
        "scope": "openid email profile", "state": derived.state, "nonce": derived.nonce,
        "code_challenge": challenge, "code_challenge_method": "S256"}
    assert end_session == (
        f"{idp.url}/logout?ui=plain&client_id={CLIENT_ID}&post_logout_redirect_uri=https%3A%2F%2Fportal.example%2F")
    async with served(end_session_endpoint=...) as idp:
        assert await idp.provider.end_session_url("https://portal.example/") is None


async def test_the_code_is_redeemed_with_the_verifier_and_rotated_keys_are_fetched_again():
    async with served() as idp:
        derived = flow_secrets(idp.settings.secret_key, "staff_login-7")
        token = lambda key: {"access_token": "at", "token_type": "Bearer", "id_token": jwt.encode(
            {"alg": "RS256", "kid": key.kid}, claims(iss=idp.url, nonce=derived.nonce), key)}
        idp.token_answer = (200, token(rsa_key("k1")))
        assert (await idp.provider.identity("staff_login-7", code="c-1", state=derived.state)).issuer == idp.url
        # The provider signs with a new key: one fresh fetch of its key set, then the token passes.
        idp.jwks, idp.token_answer = jwks(rsa_key("k1"), rsa_key("k2")), (200, token(rsa_key("k2")))
        assert (await idp.provider.identity("staff_login-7", code="c-2", state=derived.state)).subject == "staff-0042"
    assert idp.jwks_fetches == 2
    (form, authorization), _ = idp.token_requests
    assert form == {"grant_type": ["authorization_code"], "code": ["c-1"], "code_verifier": [derived.code_verifier],
                    "redirect_uri": ["https://portal.example/staff/callback"]}
    assert authorization == "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


async def test_a_provider_taking_only_client_secret_post_gets_the_secret_in_the_body():
    async with served(token_endpoint_auth_methods_supported=["client_secret_post", "private_key_jwt"]) as idp:
        state = flow_secrets(idp.settings.secret_key, "f").state
        assert await refusal(idp.provider.identity("f", code="c-1", state=state)) == ("provider_error", "invalid_grant")
    [(form, authorization)] = idp.token_requests
    assert (form["client_id"], form["client_secret"], authorization) == ([CLIENT_ID], [CLIENT_SECRET], None)


async def test_a_provider_failing_out_of_reach_or_of_another_issuer_is_unavailable():
    async with served() as idp:
        idp.token_answer = (503, {})
        state = flow_secrets(idp.settings.secret_key, "f").state
        assert await refusal(idp.provider.identity("f", code="c-1", state=state)) == ("unavailable", "token endpoint")
    async with served(issuer="https://login.evil.example") as idp:
        assert await refusal(idp.provider.authorization_url("f")) == ("unavailable", "issuer")
    gone = StaffIdentityProvider(settings_for(f"http://127.0.0.1:{free_port()}"))
    assert await refusal(gone.authorization_url("f")) == ("unavailable", "discovery")
    await gone.aclose()


# The local provider of `make dev` (tests/support/oidc.py: PKCE enforced), as a process of its own.
async def test_the_whole_sign_in_through_the_local_provider(oidc_provider):
    settings = make_settings(staff_oidc_issuer=oidc_provider.issuer, staff_oidc_client_id=oidc_provider.client_id,
                             staff_oidc_client_secret=oidc_provider.client_secret, public_base_url="http://127.0.0.1:9")
    provider = StaffIdentityProvider(settings)
    async with httpx.AsyncClient() as browser:
        back = await oidc_provider.choose(browser, await provider.authorization_url("staff_login-1"), oidc_provider.demo.sub)
    location = httpx.URL(back)
    assert str(location.copy_with(query=None)) == settings.staff_oidc_redirect_uri
    code, state = location.params["code"], location.params["state"]
    # Another flow's state, or this one's altered: refused before the code is redeemed...
    tampered = state[:-1] + ("A" if state[-1] != "A" else "B")
    for flow_id, sent_state in (("staff_login-2", state), ("staff_login-1", tampered), ("staff_login-1", "")):
        assert await refusal(provider.identity(flow_id, code=code, state=sent_state)) == ("state", "state")
    # ...so the right flow still redeems it (with its PKCE verifier, or the provider refuses), once.
    identity = await provider.identity("staff_login-1", code=code, state=state)
    assert (identity.issuer, identity.subject, identity.email, identity.groups) == (
        oidc_provider.issuer, oidc_provider.demo.sub, oidc_provider.demo.email, ("kepro-staff",))
    twice = provider.identity("staff_login-1", code=code, state=state)
    assert await refusal(twice) == ("provider_error", "invalid_grant")
    await provider.aclose()
