"""Every cookie the portal sets, named and flagged in one place.

When the portal's public address is https (PUBLIC_BASE_URL), every cookie is Secure and
carries the ``__Host-`` prefix, which browsers only accept from a secure origin, for the
whole site and no other host — whatever scheme the request reached us with (behind the
TLS-terminating proxy it is plain http). All are HttpOnly and SameSite=Lax.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

_PREFIX = "__Host-"


def secure(request: Request) -> bool:
    return request.app.state.resources.settings.public_base_url.lower().startswith("https://")


def name(request: Request, base: str) -> str:
    return f"{_PREFIX}{base}" if secure(request) else base


def read(request: Request, base: str) -> str | None:
    return request.cookies.get(name(request, base))


def write(response: Response, request: Request, base: str, value: str) -> None:
    # No max-age: each cookie dies with the browser session; the server bounds what it names.
    response.set_cookie(name(request, base), value, httponly=True, samesite="lax", secure=secure(request), path="/")


def forget(response: Response, request: Request, base: str) -> None:
    response.delete_cookie(name(request, base), path="/", secure=secure(request), httponly=True, samesite="lax")
