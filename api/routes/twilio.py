"""Twilio's voice webhook: the callee pressed a key during a "Call Me" verification.

Only requests signed with our auth token are believed. The key press is an outside event,
so it reaches the flow as a signal; the flow decides whether it completes the challenge.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse

from activities.phone import VOICE_WEBHOOK_PATH
from api.dependencies import SettingsDep, get_flows
from domain import digests
from workflows.code_step import Keypress

router = APIRouter(tags=["webhooks"])

_FLOW_ID = re.compile(r"^[a-z][a-z_-]{1,40}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _twiml(text: str) -> Response:
    response = VoiceResponse()
    response.say(text)
    response.hangup()
    return Response(str(response), media_type="application/xml")


@router.post(VOICE_WEBHOOK_PATH + "/{flow_id}", summary="Key press reported by Twilio (signed)")
async def voice_keypress(flow_id: str, request: Request, settings: SettingsDep) -> Response:
    form = await request.form()
    params = {k: str(v) for k, v in form.multi_items()}
    # Twilio signs the URL it called: our public URL, not whatever a proxy made of it.
    url = settings.public_base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("x-twilio-signature", "")
    if not signature or not RequestValidator(settings.twilio_auth_token).validate(url, params, signature):
        return Response("Invalid signature.", status_code=403, media_type="text/plain")
    token = request.query_params.get("token", "")
    if not _FLOW_ID.match(flow_id) or not token:
        return _twiml("This verification call is not valid. Goodbye.")
    key = digests.derive_key(settings.secret_key, digests.VOICE_KEY)
    press = Keypress(token_digest=digests.token_digest(key, token), digits=params.get("Digits", ""))
    flows = await get_flows(request)
    await flows.signal(flow_id, "phone_keypress", press)
    return _twiml("Thank you. You can return to the Atrezzo portal now. Goodbye.")
