"""The OpenID provider behind the Kepro LOGIN (devstack/oidc_provider.py, PKCE enforced), one
per run, as its own process on a free loopback port.

`oidc_provider.issuer` / `.client_id` / `.client_secret` configure the app; `await
oidc_provider.choose(http, authorization_url, sub)` is a person picking an identity on the
provider's page, and answers where the provider sends the browser back (code and state).
Identities: `.demo` (a verified staff address, in group kepro-staff), `.unverified` (its
email_verified is false) and `.outsider` (a verified address outside the staff domains).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import select
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from devstack.oidc_provider import demo_staff_claims
from devstack.processes import die_with_parent
from tests.support.app import running_app

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Identity:
    sub: str
    email: str


DEMO = demo_staff_claims()
UNVERIFIED = {"sub": "unverified", "email": "unverified@kepro.com", "email_verified": False, "name": "Not Verified"}
OUTSIDER = {"sub": "outsider", "email": "someone@example.com", "email_verified": True, "name": "Some One"}


@dataclass(frozen=True)
class OidcProvider:
    issuer: str
    client_id: str
    client_secret: str
    demo: Identity
    unverified: Identity
    outsider: Identity

    async def choose(self, http: httpx.AsyncClient, authorization_url: str, sub: str) -> str:
        """Open the authorization URL and click the button of predefined user ``sub``; the
        Location the provider answers with (the redirect_uri, with code and state), not followed."""
        page = await http.get(authorization_url, follow_redirects=False)
        if page.status_code != 200:
            raise AssertionError(f"the provider refused the authorization request: {page.status_code} {page.headers.get('location') or page.text}")
        action, fields = _form_of_button(page.text, "sub", sub)
        answer = await http.post(urljoin(str(page.url), action), data=fields, follow_redirects=False)
        if answer.status_code not in (302, 303):
            raise AssertionError(f"choosing {sub!r} did not redirect: {answer.status_code} {answer.text[:500]}")
        return answer.headers["location"]


class _Forms(HTMLParser):
    """Each form's action and successful controls, and the buttons that submit it."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str], list[tuple[str, str]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((a.get("action", ""), {}, []))
        elif self.forms and tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            self.forms[-1][1][a["name"]] = a.get("value", "")
        elif self.forms and tag == "button" and a.get("name"):
            self.forms[-1][2].append((a["name"], a.get("value", "")))


def _form_of_button(html: str, name: str, value: str) -> tuple[str, dict[str, str]]:
    parser = _Forms()
    parser.feed(html)
    for action, fields, buttons in parser.forms:
        if (name, value) in buttons:
            return action, {**fields, name: value}
    raise AssertionError(f"no button {name}={value!r} on the provider's page")


def _ready_line(process: subprocess.Popen, log: Path, timeout: float = 30) -> str:
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    if "issuer http://" not in line:
        process.kill()
        raise RuntimeError(f"the OpenID provider did not start: {line!r}\n{log.read_text()}")
    return line


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[OidcProvider]:
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    claims = [DEMO, UNVERIFIED, OUTSIDER]
    with open(log, "wb") as errors:
        # Port 0: the provider binds a free port before it prints the ready line naming it.
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack.oidc_provider", "--host", "127.0.0.1", "--port", "0",
             *(arg for c in claims for arg in ("--user-claims", json.dumps(c)))],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True, preexec_fn=die_with_parent(os.getpid()),
        )
    try:
        issuer = re.search(r"issuer (http://\S+)", _ready_line(process, log)).group(1)
        yield OidcProvider(
            issuer=issuer, client_id="atrezzo-test", client_secret=secrets.token_urlsafe(24),
            demo=_identity(DEMO), unverified=_identity(UNVERIFIED), outsider=_identity(OUTSIDER),
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def _identity(claims: dict[str, object]) -> Identity:
    return Identity(sub=str(claims["sub"]), email=str(claims["email"]))


@pytest.fixture
async def staff_app(temporal_env, smtp_sink, twilio_sandbox, db_url, oidc_provider):
    """``live_app`` with the Kepro LOGIN pointed at the local provider; its group kepro-staff
    grants the staff role."""
    async with running_app(
        temporal_env, smtp_sink, twilio_sandbox, db_url, staff_oidc_issuer=oidc_provider.issuer,
        staff_oidc_client_id=oidc_provider.client_id, staff_oidc_client_secret=oidc_provider.client_secret,
        staff_oidc_group_roles="kepro-staff=staff",
    ) as app:
        yield app
