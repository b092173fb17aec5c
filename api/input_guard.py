"""Input no screen can use is refused before any route sees it: a NUL character anywhere in the
query string, a form or a JSON body (PostgreSQL cannot store one, and no person types one),
text that is not UTF-8, and bodies larger than any form of the portal (or, for the codec, than
the proxy allows). Each gets a clear 4xx instead of failing deep inside a flow or a query."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import Message, Receive, Scope, Send

from api.http_middleware import HttpMiddleware

# The largest form is "Enter User Information": a few kilobytes. The Temporal UI's codec calls
# carry a page of a history's payloads at once: as much as the proxy lets through (1 MB).
MAX_BODY = 64 * 1024
MAX_CODEC_BODY = 1024 * 1024
REFUSED = "The request holds characters or data the portal cannot accept. Please check what you typed."
TOO_LARGE = "The request is too large."


class InputGuard(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _has_nul_or_bad_text(scope.get("query_string", b""), "form"):
            await _refuse(scope, receive, send, 400, REFUSED)
            return
        headers = Headers(scope=scope)
        kind = _kind(headers.get("content-type", ""))
        if kind is None:
            await self.app(scope, receive, send)
            return
        limit = MAX_CODEC_BODY if scope.get("path", "").startswith("/codec") else MAX_BODY
        body, complete = await _read(receive, limit)
        if not complete:
            await _refuse(scope, receive, send, 413, TOO_LARGE)
            return
        if _has_nul_or_bad_text(body, kind):
            await _refuse(scope, receive, send, 400, REFUSED)
            return
        await self.app(scope, _replay(body), send)


def _kind(content_type: str) -> str | None:
    media = content_type.split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        return "form"
    if media == "application/json" or media.endswith("+json"):
        return "json"
    return None


async def _read(receive: Receive, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", False
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _has_nul_or_bad_text(raw: bytes, kind: str) -> bool:
    if kind == "form":
        try:
            pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except (UnicodeDecodeError, ValueError):
            return True
        return any("\x00" in part for pair in pairs for part in pair)
    try:
        document = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except UnicodeDecodeError:
        return True
    except ValueError:
        return False  # not JSON at all: the route's own validation says so, as a 422
    return _json_has_nul(document)


def _json_has_nul(node: object) -> bool:
    if isinstance(node, str):
        return "\x00" in node
    if isinstance(node, dict):
        return any(_json_has_nul(key) or _json_has_nul(value) for key, value in node.items())
    if isinstance(node, list):
        return any(_json_has_nul(item) for item in node)
    return False


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    if scope.get("path", "").startswith(("/api/", "/codec", "/webhooks", "/healthz")):
        response = JSONResponse({"detail": message}, status_code=status)
    else:
        response = PlainTextResponse(message, status_code=status)
    await response(scope, receive, send)
