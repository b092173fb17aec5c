"""A fuzzer for the HTML form routes (the JSON API has schemathesis): every POST route the app
declares outside /api, sent what browsers, scripts and attackers send that no form makes —
no CSRF token, an oversized body, NUL bytes, bytes that are not UTF-8, the wrong content
types, a form with a valid token but values nobody types. Every answer must be a 4xx or an
ordinary page: a 5xx is a server error, and a connection the server dropped is one too."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import httpx
from fastapi.routing import APIRoute

from api.app import create_app
from settings import Settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FIELDS = ("username", "password", "email", "code", "npi", "registration_code", "phone", "method", "confirm_password")
OVERSIZED = 3 * 1024 * 1024  # beyond any form's limit


@dataclass
class FuzzResult:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)


def form_routes() -> list[str]:
    """The paths of the app's HTML POST routes (path parameters filled with a well-formed id)."""
    app = create_app(Settings(secret_key="x" * 32, payload_keys="k:" + "A" * 43 + "=", twilio_auth_token="x"))
    paths = {
        route.path for route in _routes(app.routes)
        if isinstance(route, APIRoute) and "POST" in route.methods and not route.path.startswith(("/api/", "/webhooks", "/codec"))
    }
    return sorted(re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path) for path in paths)


def _routes(routes: list) -> list:
    """Every route, also inside the routers the app includes (FastAPI keeps them apart)."""
    found = []
    for route in routes:
        included = getattr(route, "original_router", None)
        found += _routes(included.routes) if included is not None else [route]
    return found


def _cases(csrf: str) -> list[tuple[str, dict, bytes | dict | None]]:
    """(what, headers, body) for one route; a dict body is sent as a form."""
    form = "application/x-www-form-urlencoded"
    typed = {name: "x" for name in FIELDS}
    return [
        ("no CSRF token", {}, typed),
        ("forged CSRF token", {}, {**typed, "csrf_token": "0" * 64}),
        ("oversized body", {"content-type": form}, b"csrf_token=" + csrf.encode() + b"&username=" + b"A" * OVERSIZED),
        ("NUL bytes", {}, {**{name: "a\x00b" for name in FIELDS}, "csrf_token": csrf}),
        ("not UTF-8", {"content-type": form}, b"csrf_token=" + csrf.encode() + b"&username=%FF%FE%00&password=\xff\xfe\xfa"),
        ("JSON to a form route", {"content-type": "application/json"}, b'{"username": "x", "csrf_token": "' + csrf.encode() + b'"}'),
        ("XML", {"content-type": "application/xml"}, b"<username>x</username>"),
        ("broken multipart", {"content-type": "multipart/form-data; boundary=zz"}, b"--zz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx"),
        ("no content type", {}, b"\x00\x01\x02"),
        ("values nobody types", {}, {**{name: "\u202e\U0001f600" * 300 for name in FIELDS}, "csrf_token": csrf, "remember": "maybe"}),
        ("repeated fields", {"content-type": form}, ("csrf_token=" + csrf + "&" + "&".join("username=x" for _ in range(2000))).encode()),
    ]


async def fuzz(base_url: str, npi: str, registration_code: str, *, address: str = "10.250.0.1") -> FuzzResult:
    """Fuzz every form route from one browser that has a registration under way (so the
    screens behind it meet the flow, not only "no flow here")."""
    result = FuzzResult()
    async with httpx.AsyncClient(base_url=base_url, timeout=60, follow_redirects=False,
                                 headers={"X-Forwarded-For": address}) as http:
        page = await http.get("/register")  # sets this browser's id cookie; its form carries the token
        match = CSRF.search(page.text)
        if match is None:
            raise RuntimeError(f"GET /register has no CSRF token ({page.status_code})")
        csrf = match.group(1)
        started = await http.post("/register", data={"npi": npi, "registration_code": registration_code, "csrf_token": csrf})
        if started.status_code >= 400:
            raise RuntimeError(f"could not start a registration to fuzz behind: {started.status_code}")
        for path in form_routes():
            for what, headers, body in _cases(csrf):
                result.requests += 1
                try:
                    if isinstance(body, dict):
                        response = await http.post(path, data=body, headers=headers)
                    else:
                        response = await http.post(path, content=body, headers=headers)
                except httpx.TransportError as error:
                    result.server_errors.append(f"POST {path} ({what}): no answer ({type(error).__name__})")
                    continue
                result.statuses[response.status_code] += 1
                if response.status_code >= 500:
                    result.server_errors.append(f"POST {path} ({what}): {response.status_code} {response.text[:120]}")
    return result
