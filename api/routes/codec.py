"""The remote codec the Temporal UI calls to show decrypted payloads — to staff only.

Staff are let through by either
- their signed-in session: the production Temporal UI sends the portal's cookies with
  TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true (CORS below allows credentials for the configured
  UI origins); the account must have users.is_staff; or
- the CODEC_TOKEN bearer, for staff tooling (`temporal workflow show --codec-endpoint ...
  --codec-auth "Bearer ..."`).
Everyone else gets 403; a signed-in non-staff user's attempt goes to the audit log.

On the loopback dev stack only, the dev server's built-in UI (which can send neither a token
nor cookies: `temporal server start-dev` has no such flag) is trusted by its origin when
CODEC_TRUST_UI_ORIGIN is set; it is off by default and only `make dev` sets it.
"""

from __future__ import annotations

import hmac
from typing import Any

from cryptography.exceptions import InvalidTag
from fastapi import APIRouter, Request
from google.protobuf.message import DecodeError
from fastapi.responses import JSONResponse, Response
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from temporalio.api.common.v1 import Payload

from api.dependencies import SettingsDep
from api.sessions import SESSION_COOKIE, current_user
from api.staff import is_staff, record_refusal
from engine.codec import EncryptionCodec, UnknownKeyError
from settings import Settings

router = APIRouter(prefix="/codec", tags=["operations"])


async def _allowed(request: Request, settings: Settings) -> bool:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if settings.codec_token and scheme.lower() == "bearer" and hmac.compare_digest(token, settings.codec_token):
        return True
    if request.cookies.get(SESSION_COOKIE):
        user = await current_user(request)
        if user is not None and await is_staff(request, user):
            return True
        if user is not None:
            await record_refusal(request, user)
    return settings.codec_trust_ui_origin and request.headers.get("origin") in settings.codec_origins


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
    if not await _allowed(request, settings):
        return _cors(request, settings, JSONResponse({"detail": "Staff only."}, status_code=403))
    try:
        body: Any = await request.json()
        payloads = [ParseDict(p, Payload()) for p in body["payloads"]]
    except (ValueError, KeyError, TypeError, ParseError):
        return _cors(request, settings, JSONResponse({"detail": 'Send {"payloads": [...]}.'}, status_code=400))
    codec = EncryptionCodec(settings.payload_key_ring)
    try:
        result = await (codec.encode(payloads) if encoding else codec.decode(payloads))
    except UnknownKeyError as exc:
        return _cors(request, settings, JSONResponse({"detail": str(exc)}, status_code=400))
    except (InvalidTag, DecodeError):  # tampered, or sealed with another key under the same id
        return _cors(request, settings, JSONResponse({"detail": "A payload could not be decrypted."}, status_code=400))
    return _cors(request, settings, JSONResponse({"payloads": [MessageToDict(p) for p in result]}))
