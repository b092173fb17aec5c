"""Every answer carries the security headers, whoever wrote it: a page, a JSON answer, a redirect,
the input guard's refusal, an unknown path. A browser keeps the id it was given, and only a new
id is set as a cookie."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest

from api.security import BROWSER_COOKIE, SecurityHeaders
from tests.api.test_cookies import set_cookies
from tests.support.temporal import make_settings

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/api/v1/me", 401),
        ("GET", "/home", 303),
        ("GET", "/?q=%00", 400),
        ("GET", "/no/such/page", 404),
    ],
)
async def test_every_kind_of_answer_carries_the_headers(session_app, method, path, status):
    async with session_app.http() as http:
        answer = await http.request(method, path)
    assert answer.status_code == status
    for name, value in HEADERS.items():
        assert answer.headers[name] == value
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    [cookie] = set_cookies(answer)
    assert cookie.startswith(f"{BROWSER_COOKIE}=")


async def test_a_browser_keeps_its_id_and_is_not_sent_it_again(session_app):
    async with session_app.http() as http:
        first = await http.get("/")
        browser_id = http.cookies[BROWSER_COOKIE]
        again = await http.get("/help")
    assert set_cookies(first) and not set_cookies(again)
    assert http.cookies[BROWSER_COOKIE] == browser_id
    # The id the routes see is the one the cookie carries: its CSRF token is in the form.
    assert session_app.app.state.signer.csrf_token(browser_id) in again.text


async def test_a_header_the_route_set_itself_is_kept():
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"cache-control", b"max-age=60")]})
        await send({"type": "http.response.body", "body": b"ok"})

    # The one thing the middleware reads from the app: its settings (is the address https?).
    portal = SimpleNamespace(state=SimpleNamespace(resources=SimpleNamespace(settings=make_settings())))

    async def with_state(scope, receive, send):
        scope["app"] = portal
        await SecurityHeaders(app)(scope, receive, send)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=with_state), base_url="http://portal") as http:
        answer = await http.get("/")
    assert answer.headers.get_list("cache-control") == ["max-age=60"]
    assert answer.headers["x-frame-options"] == "DENY"
