"""The JSON API as the bench's flows call it. Every answer is checked: a benchmark that
counted errors as steps done would measure nothing.

The client is aiohttp, whose HTTP parser is compiled: the load generator shares the two cores
with the application it measures, and httpx spent about 1.2 ms of CPU a request where aiohttp
spends about 0.2 (loopback, one small JSON request and answer)."""

from __future__ import annotations

from typing import Any

import aiohttp

TIMEOUT = aiohttp.ClientTimeout(total=60)


def browser(base_url: str) -> aiohttp.ClientSession:
    """A client with its own cookie jar, as every person has their own browser. The jar takes
    cookies from an IP address (the APIs listen on 127.0.0.1), which aiohttp's does not by default."""
    return aiohttp.ClientSession(base_url=base_url, cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=TIMEOUT)


async def post_step(http: aiohttp.ClientSession, path: str, body: dict[str, Any], step: str, status: int = 200) -> dict:
    """POST to /api/v1/``path``; the flow's view, which must have moved on to ``step``."""
    what = f"POST /api/v1/{path}"
    async with http.post(f"/api/v1/{path}", json=body) as response:
        view = await answer_json(response, what, status)
    if view.get("errors") or view.get("step") != step:
        raise RuntimeError(f"{what}: expected step {step!r}, got {view.get('step')!r} with errors {view.get('errors')}")
    return view


async def get_json(http: aiohttp.ClientSession, path: str, params: dict[str, str] | None = None) -> dict:
    """GET ``path``, which must answer 200 with JSON."""
    async with http.get(path, params=params) as response:
        return await answer_json(response, f"GET {path}", 200)


async def check_signed_in(http: aiohttp.ClientSession, username: str) -> None:
    me = await get_json(http, "/api/v1/me")
    if me.get("username") != username:
        raise RuntimeError(f"signed in as {me.get('username')!r}, not {username!r}")


async def answer_json(response: aiohttp.ClientResponse, what: str, status: int) -> dict:
    if response.status != status:
        text = await response.text()
        raise RuntimeError(f"{what}: expected {status}, got {response.status}: {text[:300]}")
    return await response.json()
