"""Answering a ringing call: the keys pressed go to its <Gather> action, signed as Twilio signs."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

from devstack.twilio_sandbox.errors import CallNotAnswerable
from devstack.twilio_sandbox.records import API_VERSION, PlacedCall
from devstack.twilio_sandbox.state import SandboxState
from devstack.twilio_sandbox.twiml import action_of, gather_of, reported_digits


async def press(state: SandboxState, auth_token: str, call_sid: str, digits: str) -> PlacedCall:
    call = state.start_answering(call_sid)
    try:
        action, status = await report_keypress(call, digits, auth_token)
    except BaseException:
        # The keys were not reported: leave the call ringing so it can be answered once the app is fixed.
        state.update_call(call_sid, status="ringing")
        raise
    return state.update_call(call_sid, status="completed", digits=digits, callback_url=action, callback_status=status)


async def report_keypress(call: PlacedCall, pressed: str, auth_token: str) -> tuple[str, int]:
    """Answer the call and report `pressed` to its <Gather> action; returns (action URL, HTTP status)."""
    params = {
        "AccountSid": call.account_sid, "ApiVersion": API_VERSION, "CallSid": call.sid,
        "CallStatus": "in-progress", "Direction": "outbound-api", "From": call.from_, "To": call.to,
    }
    async with httpx.AsyncClient(timeout=10) as http:
        try:
            gather = gather_of(await _call_twiml(http, call, params, auth_token))
            digits = reported_digits(gather, pressed)
            if not digits and gather.get("actionOnEmptyResult") != "true":
                raise CallNotAnswerable(409, f"Twilio would report no digits for {pressed!r} (see finishOnKey, numDigits), so it would not call the action")
            action = action_of(gather, call.url)
            method = gather.get("method", "POST").upper()
            response = await _signed_request(http, method, action, params | {"Digits": digits}, auth_token)
        except httpx.HTTPError as exc:
            raise CallNotAnswerable(502, f"could not reach the app: {exc!r}") from exc
    return action, response.status_code


async def _call_twiml(http: httpx.AsyncClient, call: PlacedCall, params: dict, auth_token: str) -> str:
    if not call.url:
        return call.twiml
    fetched = await _signed_request(http, call.method, call.url, params, auth_token)
    if not fetched.is_success:
        raise CallNotAnswerable(502, f"fetching the call's TwiML from {call.url} answered {fetched.status_code}")
    return fetched.text


async def _signed_request(http: httpx.AsyncClient, method: str, url: str, params: dict, auth_token: str) -> httpx.Response:
    validator = RequestValidator(auth_token)
    if method == "GET":
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        return await http.get(url, headers={"X-Twilio-Signature": validator.compute_signature(url, {})})
    return await http.post(url, data=params, headers={"X-Twilio-Signature": validator.compute_signature(url, params)})
