"""The JSON API as the bench's flows call it. Every answer is checked: a benchmark that
counted errors as steps done would measure nothing."""

from __future__ import annotations

from typing import Any

import httpx


async def post_step(http: httpx.AsyncClient, path: str, body: dict[str, Any], step: str, status: int = 200) -> dict:
    """POST to /api/v1/``path``; the flow's view, which must have moved on to ``step``."""
    what = f"POST /api/v1/{path}"
    view = answer_json(await http.post(f"/api/v1/{path}", json=body), what, status)
    if view.get("errors") or view.get("step") != step:
        raise RuntimeError(f"{what}: expected step {step!r}, got {view.get('step')!r} with errors {view.get('errors')}")
    return view


async def check_signed_in(http: httpx.AsyncClient, username: str) -> None:
    me = answer_json(await http.get("/api/v1/me"), "GET /api/v1/me", 200)
    if me.get("username") != username:
        raise RuntimeError(f"signed in as {me.get('username')!r}, not {username!r}")


def answer_json(response: httpx.Response, what: str, status: int) -> dict:
    if response.status_code != status:
        raise RuntimeError(f"{what}: expected {status}, got {response.status_code}: {response.text[:300]}")
    return response.json()
