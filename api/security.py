"""Browser-facing protections: signed cookies, CSRF tokens and security headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Annotated

from fastapi import Form
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from api import cookies
from api.http_middleware import HttpMiddleware

BROWSER_COOKIE = "atrezzo_browser"
_BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{32}")
CSRF_FIELD = "csrf_token"
# The token a form route takes beside its fields (Flows.check_csrf checks it).
CsrfField = Annotated[str | None, Form()]
CSRF_HEADER = "x-csrf-token"

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
}


class Signer:
    """HMAC-signed cookie values: the browser can carry them but not forge or alter them."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def sign(self, value: str) -> str:
        mac = hmac.new(self._key, value.encode(), hashlib.sha256).digest()
        return f"{value}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"

    def unsign(self, signed: str | None) -> str | None:
        if not signed or "." not in signed:
            return None
        value, _, _ = signed.rpartition(".")
        return value if equal(self.sign(value), signed) else None

    def csrf_token(self, browser_id: str) -> str:
        return hmac.new(self._key, f"csrf:{browser_id}".encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, browser_id: str | None, token: str | None) -> bool:
        return bool(browser_id and token) and equal(self.csrf_token(browser_id), token)


def equal(expected: str, given: str) -> bool:
    """Constant-time comparison of text from a request, whatever characters it holds
    (hmac.compare_digest refuses str with non-ASCII characters by raising)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogateescape"))


def new_browser_id() -> str:
    return secrets.token_urlsafe(24)


class SecurityHeaders(HttpMiddleware):
    """Every response gets the headers above, and every browser a random id for CSRF tokens."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        sent = cookies.read(request, BROWSER_COOKIE)
        # Only an id we could have made: anything else (forged, non-ASCII) gets a fresh one.
        browser_id = sent if sent and _BROWSER_ID.fullmatch(sent) else new_browser_id()
        request.state.browser_id = browser_id
        extra = dict(_HEADERS)
        # By the public address, not the request's scheme: behind the proxy that is plain http.
        if cookies.secure(request):
            extra["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        new_cookie = _set_cookie_header(request, browser_id) if sent != browser_id else None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
                if new_cookie:
                    headers.append("set-cookie", new_cookie)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _set_cookie_header(request: Request, browser_id: str) -> str:
    """The Set-Cookie value for the browser id, flagged as every cookie is (api/cookies.py)."""
    carrier = Response()
    cookies.write(carrier, request, BROWSER_COOKIE, browser_id)
    return carrier.headers["set-cookie"]
