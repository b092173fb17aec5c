"""The remote codec the Temporal UI calls to show decrypted payloads — to staff only.

Staff are let through by either
- their signed-in session: the production Temporal UI sends the portal's cookies with
  TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true (CORS below allows credentials for the configured
  UI origins); the account must have users.is_staff; or
- the CODEC_TOKEN bearer, for staff tooling (`temporal workflow show --codec-endpoint ...
  --codec-auth "Bearer ..."`).
Everyone else gets 403; a signed-in non-staff user's attempt goes to the audit log, and so
does every decode that succeeds (who, through what, of which workflow). Payloads in clear are
refused (engine/codec.py): the engine writes none.

On the loopback dev stack only, the dev server's built-in UI (which can send neither a token
nor cookies: `temporal server start-dev` has no such flag) is trusted by its origin when
CODEC_TRUST_UI_ORIGIN is set; it is off by default and only `make dev` sets it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload

from api.client_address import client_ip
from api.dependencies import SettingsDep
from api.staff import StaffCaller, staff_caller
from engine.codec import EncryptionCodec, PayloadRefused
from settings import Settings
from store import audit

router = APIRouter(prefix="/codec", tags=["operations"])
# The Temporal UI's pages: /namespaces/<namespace>/workflows/<workflow id>/<run id>/...
_WORKFLOW_PAGE = re.compile(r"/workflows/([^/]+)")


def _cors(request: Request, settings: Settings, response: Response) -> Response:
    origin = request.headers.get("origin")
    if origin in settings.codec_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization, X-Namespace"
        response.headers["Vary"] = "Origin"
    return response


@router.options("/{action}", include_in_schema=False)
async def preflight(action: str, request: Request, settings: SettingsDep) -> Response:
    return _cors(request, settings, Response(status_code=204))


@router.post("/encode", summary="Encrypt payloads (Temporal remote codec protocol)")
async def encode(request: Request, settings: SettingsDep) -> Response:
    return await _run(request, settings, encoding=True)


@router.post("/decode", summary="Decrypt payloads for the Temporal UI (staff only)")
async def decode(request: Request, settings: SettingsDep) -> Response:
    return await _run(request, settings, encoding=False)


async def _run(request: Request, settings: Settings, *, encoding: bool) -> Response:
    caller = await staff_caller(request, settings, trust_ui_origin=True)
    if caller is None:
        return _cors(request, settings, JSONResponse({"detail": "Staff only."}, status_code=403))
    try:
        body: Any = await request.json()
        payloads = [ParseDict(p, Payload()) for p in body["payloads"]]
    except (ValueError, KeyError, TypeError, AttributeError, ParseError, DecodeError):
        return _cors(request, settings, JSONResponse({"detail": 'Send {"payloads": [...]}.'}, status_code=400))
    codec = EncryptionCodec(settings.payload_key_ring)
    try:
        result = await (codec.encode(payloads) if encoding else codec.decode(payloads))
    except PayloadRefused as refused:  # in clear, tampered, or sealed with a key we do not hold
        return _cors(request, settings, JSONResponse({"detail": str(refused)}, status_code=400))
    if not encoding:
        await _audit_decode(request, caller, len(result))
    return _cors(request, settings, JSONResponse({"payloads": [MessageToDict(p) for p in result]}))


async def _audit_decode(request: Request, caller: StaffCaller, count: int) -> None:
    """Every decode is a read of someone's data: who, through what, of which workflow (the
    Temporal UI's page names it in its Referer; the CLI names none)."""
    workflow = _WORKFLOW_PAGE.search(urlsplit(request.headers.get("referer", "")).path)
    detail = {
        "via": caller.via,
        "namespace": request.headers.get("x-namespace", "")[:100],
        "workflow": unquote(workflow[1])[:200] if workflow else "",
        "payloads": count,
    }
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        await audit.record(conn, "codec.decoded", actor=caller.user, client_ip=client_ip(request), detail=detail)
