"""A stand-in for the slice of Twilio's REST API the app uses (Messages and Calls create).

The real `twilio` client talks to it once `client.api.base_url` points here. A person reads
the SMS on its page and answers a call by pressing keys; the sandbox then calls the app's
<Gather> action back exactly as Twilio would, signature included.
`python -m devstack.twilio_sandbox` for a person; `RunningTwilioSandbox` for tests.
"""

# No `from __future__ import annotations`: FastAPI must resolve the route signatures'
# Depends(...) on dependencies that are local to create_sandbox_app.
import argparse
import asyncio
import base64
import dataclasses
import os
import re
import secrets
import socket
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode, urljoin

import httpx
import uvicorn
from fastapi import Depends, FastAPI, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from twilio.request_validator import RequestValidator

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Keys a phone can press; "w" is Twilio's half-second pause.
KEYPAD = r"^[0-9*#w]{1,32}$"
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"


def _new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


@dataclass(frozen=True)
class SentSms:
    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    created: datetime

    def as_json(self) -> dict:
        return {"sid": self.sid, "to": self.to, "from": self.from_, "body": self.body, "date_created": self.created.isoformat()}

    def as_twilio_resource(self) -> dict:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}"
        return {
            "sid": self.sid, "account_sid": self.account_sid, "api_version": API_VERSION,
            "to": self.to, "from": self.from_, "body": self.body,
            "status": "queued", "direction": "outbound-api", "messaging_service_sid": None,
            "num_segments": "1" if len(self.body) <= 160 else str(-(-len(self.body) // 153)), "num_media": "0",
            "date_created": format_datetime(self.created), "date_updated": format_datetime(self.created), "date_sent": None,
            "price": None, "price_unit": "USD", "error_code": None, "error_message": None,
            "uri": f"{uri}.json", "subresource_uris": {"media": f"{uri}/Media.json"},
        }


@dataclass(frozen=True)
class PlacedCall:
    sid: str
    account_sid: str
    to: str
    from_: str
    twiml: str | None
    url: str | None
    method: str
    created: datetime
    # ringing -> in-progress (while the keypress is reported) -> completed
    status: str = "ringing"
    digits: str | None = None
    callback_url: str | None = None
    callback_status: int | None = None

    def as_json(self) -> dict:
        return {
            "sid": self.sid, "to": self.to, "from": self.from_, "twiml": self.twiml, "url": self.url,
            "method": self.method, "status": self.status, "date_created": self.created.isoformat(),
            "digits": self.digits, "callback_url": self.callback_url, "callback_status": self.callback_status,
        }

    def as_twilio_resource(self) -> dict:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Calls/{self.sid}"
        return {
            "sid": self.sid, "account_sid": self.account_sid, "api_version": API_VERSION,
            "to": self.to, "to_formatted": self.to, "from": self.from_, "from_formatted": self.from_,
            # What Twilio answers at creation, whatever happens to the call next.
            "status": "queued", "direction": "outbound-api", "parent_call_sid": None,
            "date_created": format_datetime(self.created), "date_updated": format_datetime(self.created),
            "start_time": None, "end_time": None, "duration": None, "price": None, "price_unit": "USD",
            "answered_by": None, "caller_name": None, "forwarded_from": None, "group_sid": None,
            "phone_number_sid": None, "queue_time": "0", "trunk_sid": None,
            "uri": f"{uri}.json",
            "subresource_uris": {name: f"{uri}/{name.title().replace('_', '')}.json" for name in ("notifications", "recordings", "events")},
        }


class SandboxState:
    """What the app sent; read by tests from other threads than the server's."""

    def __init__(self, limit: int = 1000) -> None:
        # A dev stack runs for days; the oldest entries go rather than the memory.
        self._sms: deque[SentSms] = deque(maxlen=limit)
        self._calls: deque[PlacedCall] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add_sms(self, sms: SentSms) -> None:
        with self._lock:
            self._sms.append(sms)

    def add_call(self, call: PlacedCall) -> None:
        with self._lock:
            self._calls.append(call)

    def sms_newest_first(self, to: str | None = None) -> list[SentSms]:
        with self._lock:
            return [s for s in reversed(self._sms) if to is None or s.to == to]

    def calls_newest_first(self, to: str | None = None) -> list[PlacedCall]:
        with self._lock:
            return [c for c in reversed(self._calls) if to is None or c.to == to]

    def start_answering(self, sid: str) -> PlacedCall:
        """Claim a ringing call, so a second press cannot report it twice."""
        with self._lock:
            call = self._find_call(sid)
            if call.status != "ringing":
                raise CallNotAnswerable(409, f"call {sid} is {call.status}, not ringing")
            return self._replace_call(call, status="in-progress")

    def update_call(self, sid: str, **changes) -> PlacedCall:
        with self._lock:
            return self._replace_call(self._find_call(sid), **changes)

    def clear(self) -> None:
        with self._lock:
            self._sms.clear()
            self._calls.clear()

    def _find_call(self, sid: str) -> PlacedCall:
        call = next((c for c in self._calls if c.sid == sid), None)
        if call is None:
            raise CallNotAnswerable(404, f"no call {sid}")
        return call

    def _replace_call(self, call: PlacedCall, **changes) -> PlacedCall:
        updated = dataclasses.replace(call, **changes)
        self._calls[self._calls.index(call)] = updated
        return updated


class TwilioError(Exception):
    """Answered in Twilio's error format, which TwilioRestException reads (code, message, status)."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class CallNotAnswerable(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def parse_twiml(document: str) -> ET.Element:
    # Plain ElementTree expands entities; TwiML never needs a DTD, so none is accepted.
    if re.search(r"<!(DOCTYPE|ENTITY)", document, re.IGNORECASE):
        raise ValueError("TwiML with a DTD or entity declaration is refused")
    root = ET.fromstring(document)
    if root.tag != "Response":
        raise ValueError(f"TwiML root is <{root.tag}>, not <Response>")
    return root


def reported_digits(gather: ET.Element, pressed: str) -> str:
    """The Digits Twilio would report: input stops at finishOnKey (not included) or numDigits."""
    finish_on_key = gather.get("finishOnKey", "#")
    if finish_on_key and finish_on_key in pressed:
        pressed = pressed[: pressed.index(finish_on_key)]
    if gather.get("numDigits", "").isdigit():
        pressed = pressed[: int(gather.get("numDigits"))]
    return pressed


async def _signed_request(http: httpx.AsyncClient, method: str, url: str, params: dict, auth_token: str) -> httpx.Response:
    validator = RequestValidator(auth_token)
    if method == "GET":
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        return await http.get(url, headers={"X-Twilio-Signature": validator.compute_signature(url, {})})
    return await http.post(url, data=params, headers={"X-Twilio-Signature": validator.compute_signature(url, params)})


async def _call_twiml(http: httpx.AsyncClient, call: PlacedCall, params: dict, auth_token: str) -> str:
    if not call.url:
        return call.twiml
    fetched = await _signed_request(http, call.method, call.url, params, auth_token)
    if not fetched.is_success:
        raise CallNotAnswerable(502, f"fetching the call's TwiML from {call.url} answered {fetched.status_code}")
    return fetched.text


def _gather_of(twiml: str) -> ET.Element:
    try:
        gather = parse_twiml(twiml).find(".//Gather")
    except (ValueError, ET.ParseError) as exc:
        raise CallNotAnswerable(502, f"the call's TwiML does not parse: {exc}") from exc
    if gather is None:
        raise CallNotAnswerable(409, "the call's TwiML has no <Gather>: nothing listens for keys")
    return gather


def _action_of(gather: ET.Element, document_url: str | None) -> str:
    action = gather.get("action") or ""
    if document_url:
        # Relative to the document; no action at all means the document's own URL.
        action = urljoin(document_url, action)
    if not action.startswith(("http://", "https://")):
        raise CallNotAnswerable(409, f"<Gather action={action!r}> needs an absolute URL when the TwiML came inline")
    return action


async def report_keypress(call: PlacedCall, pressed: str, auth_token: str) -> tuple[str, int]:
    """Answer the call and report `pressed` to its <Gather> action; returns (action URL, HTTP status)."""
    params = {
        "AccountSid": call.account_sid, "ApiVersion": API_VERSION, "CallSid": call.sid,
        "CallStatus": "in-progress", "Direction": "outbound-api", "From": call.from_, "To": call.to,
    }
    async with httpx.AsyncClient(timeout=10) as http:
        try:
            gather = _gather_of(await _call_twiml(http, call, params, auth_token))
            digits = reported_digits(gather, pressed)
            if not digits and gather.get("actionOnEmptyResult") != "true":
                raise CallNotAnswerable(409, f"Twilio would report no digits for {pressed!r} (see finishOnKey, numDigits), so it would not call the action")
            action = _action_of(gather, call.url)
            method = gather.get("method", "POST").upper()
            response = await _signed_request(http, method, action, params | {"Digits": digits}, auth_token)
        except httpx.HTTPError as exc:
            raise CallNotAnswerable(502, f"could not reach the app: {exc!r}") from exc
    return action, response.status_code


async def press(state: SandboxState, auth_token: str, call_sid: str, digits: str) -> PlacedCall:
    call = state.start_answering(call_sid)
    try:
        action, status = await report_keypress(call, digits, auth_token)
    except BaseException:
        # The keys were not reported: leave the call ringing so it can be answered once the app is fixed.
        state.update_call(call_sid, status="ringing")
        raise
    return state.update_call(call_sid, status="completed", digits=digits, callback_url=action, callback_status=status)


class PressRequest(BaseModel):
    digits: str = Field(default="#", pattern=KEYPAD)


def create_sandbox_app(account_sid: str, auth_token: str, state: SandboxState | None = None) -> FastAPI:
    state = state if state is not None else SandboxState()
    app = FastAPI(title="Twilio sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

    @app.exception_handler(TwilioError)
    async def twilio_error(request: Request, exc: TwilioError):
        body = {"code": exc.code, "message": exc.message, "more_info": f"https://www.twilio.com/docs/errors/{exc.code}", "status": exc.status}
        headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if exc.status == 401 else None
        return JSONResponse(body, status_code=exc.status, headers=headers)

    @app.middleware("http")
    async def lock_down_pages(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    def authenticated_account(AccountSid: str, request: Request) -> str:
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except ValueError:  # bad base64 or not UTF-8: Twilio answers that like any wrong credentials
            username = password = ""
        if scheme.lower() != "basic" or not username:
            raise TwilioError(401, 20003, "Authentication Error - No credentials provided")
        if not (secrets.compare_digest(username, account_sid) and secrets.compare_digest(password, auth_token)):
            raise TwilioError(401, 20003, "Authenticate")
        if AccountSid != account_sid:
            raise TwilioError(404, 20404, f"The requested resource /{API_VERSION}/Accounts/{AccountSid} was not found")
        return account_sid

    async def form_of(request: Request) -> dict[str, str]:
        return {key: str(value) for key, value in (await request.form()).items()}

    @app.post(f"/{API_VERSION}/Accounts/{{AccountSid}}/Messages.json", status_code=201)
    async def create_message(account: Annotated[str, Depends(authenticated_account)], form: Annotated[dict, Depends(form_of)]):
        to, from_, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not to:
            raise TwilioError(400, 21604, "A 'To' phone number is required.")
        if not E164.match(to):
            raise TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not from_:
            raise TwilioError(400, 21603, "A 'From' phone number is required.")
        if not body:
            raise TwilioError(400, 21602, "Message body is required.")
        if len(body) > 1600:
            raise TwilioError(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        sms = SentSms(_new_sid("SM"), account, to, from_, body, datetime.now(timezone.utc))
        state.add_sms(sms)
        return sms.as_twilio_resource()

    @app.post(f"/{API_VERSION}/Accounts/{{AccountSid}}/Calls.json", status_code=201)
    async def create_call(account: Annotated[str, Depends(authenticated_account)], form: Annotated[dict, Depends(form_of)]):
        to, from_, twiml, url = form.get("To", ""), form.get("From", ""), form.get("Twiml"), form.get("Url")
        if not to:
            raise TwilioError(400, 21201, "No 'To' number is specified")
        if not E164.match(to):
            raise TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not from_:
            raise TwilioError(400, 21213, "No 'From' number is specified")
        if not E164.match(from_):
            raise TwilioError(400, 21212, f"Invalid 'From' Phone Number: {from_}")
        if not (twiml or url):
            raise TwilioError(400, 21205, "A 'Url' or 'Twiml' parameter is required (the sandbox has no TwiML Apps)")
        if twiml:
            try:
                parse_twiml(twiml)
            except (ValueError, ET.ParseError) as exc:
                raise TwilioError(400, 12100, f"Document parse failure: {exc}") from exc
        method = form.get("Method", "POST").upper()
        if method not in ("GET", "POST"):
            raise TwilioError(400, 21206, f"Method must be GET or POST, not {method}")
        call = PlacedCall(_new_sid("CA"), account, to, from_, twiml or None, None if twiml else url, method, datetime.now(timezone.utc))
        state.add_call(call)
        return call.as_twilio_resource()

    def render_page(request: Request, notice: str | None = None, failed: bool = False, status_code: int = 200):
        context = {"sms": state.sms_newest_first(), "calls": state.calls_newest_first(), "notice": notice, "failed": failed}
        return templates.TemplateResponse(request, "twilio_sandbox/index.html", context, status_code=status_code)

    @app.get("/", response_class=HTMLResponse)
    async def index(request: Request):
        return render_page(request)

    @app.post("/calls/{call_sid}/press", response_class=HTMLResponse)
    async def press_from_page(request: Request, call_sid: str, digits: Annotated[str, Form(pattern=KEYPAD)] = "#"):
        try:
            call = await press(state, auth_token, call_sid, digits)
        except CallNotAnswerable as exc:
            return render_page(request, f"Pressing {digits} on {call_sid} failed: {exc.message}", failed=True, status_code=exc.status)
        return render_page(request, f"Pressed {digits} on {call_sid}: {call.callback_url} answered {call.callback_status}")

    @app.get("/api/messages")
    async def list_sms(to: str | None = None) -> list[dict]:
        return [s.as_json() for s in state.sms_newest_first(to)]

    @app.get("/api/calls")
    async def list_calls(to: str | None = None) -> list[dict]:
        return [c.as_json() for c in state.calls_newest_first(to)]

    @app.post("/api/calls/{call_sid}/press")
    async def press_from_api(call_sid: str, keys: PressRequest | None = None) -> dict:
        try:
            call = await press(state, auth_token, call_sid, (keys or PressRequest()).digits)
        except CallNotAnswerable as exc:
            raise HTTPException(exc.status, exc.message) from exc
        return {"callback_status": call.callback_status, "call": call.as_json()}

    @app.delete("/api/state", status_code=204)
    async def clear_state() -> Response:
        state.clear()
        return Response(status_code=204)

    return app


def _uvicorn_server(app: FastAPI) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, loop="asyncio", lifespan="off", log_level="warning"))


async def serve(port: int, account_sid: str, auth_token: str, host: str = "127.0.0.1") -> None:
    """Serve until cancelled (for `atrezzo dev`, which runs everything on one loop)."""
    listener = socket.create_server((host, port))
    server = _uvicorn_server(create_sandbox_app(account_sid, auth_token))
    print(f"Twilio sandbox: http://{host}:{listener.getsockname()[1]}/", flush=True)
    try:
        await server.serve(sockets=[listener])
    except asyncio.CancelledError:
        # uvicorn closes its listener and connections only when it exits on its own.
        if server.started:
            await server.shutdown(sockets=[listener])
        raise


class RunningTwilioSandbox:
    """The sandbox on a free port in a daemon thread with its own event loop (for tests)."""

    def __init__(self, account_sid: str, auth_token: str, host: str = "127.0.0.1", startup_timeout: float = 10.0) -> None:
        self.account_sid, self.auth_token = account_sid, auth_token
        self.state = SandboxState()
        self._host, self._startup_timeout = host, startup_timeout

    def __enter__(self) -> "RunningTwilioSandbox":
        listener = socket.create_server((self._host, 0))
        self.url = f"http://{self._host}:{listener.getsockname()[1]}"
        self._server = _uvicorn_server(create_sandbox_app(self.account_sid, self.auth_token, self.state))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [listener]}, name="twilio-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.__exit__()
                raise RuntimeError("the Twilio sandbox did not start (its thread's traceback is above)")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description="Twilio REST sandbox (Messages, Calls) with a page to read SMS and answer calls")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--account-sid", default=os.environ.get("TWILIO_ACCOUNT_SID"))
    parser.add_argument("--auth-token", default=os.environ.get("TWILIO_AUTH_TOKEN"))
    args = parser.parse_args()
    if not (args.account_sid and args.auth_token):
        parser.error("give --account-sid and --auth-token (or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)")
    try:
        asyncio.run(serve(args.port, args.account_sid, args.auth_token, args.host))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
