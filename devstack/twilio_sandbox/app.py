"""The sandbox's web app: Twilio's Messages and Calls create for the app, a page and a JSON API
for a person or a test to read the SMS and answer the calls."""

# No `from __future__ import annotations`: FastAPI must resolve the route signatures'
# Depends(...) on dependencies that are local to create_sandbox_app.
import base64
import re
import secrets
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from devstack.twilio_sandbox.errors import CallNotAnswerable, TwilioError
from devstack.twilio_sandbox.keypress import press
from devstack.twilio_sandbox.records import API_VERSION, PlacedCall, SentSms, new_sid
from devstack.twilio_sandbox.state import SandboxState
from devstack.twilio_sandbox.twiml import parse_twiml

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Keys a phone can press; "w" is Twilio's half-second pause.
KEYPAD = r"^[0-9*#w]{1,32}$"
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
TEMPLATES = Path(__file__).parent.parent / "templates"


class PressRequest(BaseModel):
    digits: str = Field(default="#", pattern=KEYPAD)


def create_sandbox_app(account_sid: str, auth_token: str, state: SandboxState | None = None) -> FastAPI:
    state = state if state is not None else SandboxState()
    app = FastAPI(title="Twilio sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=TEMPLATES)

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
        sms = SentSms(new_sid("SM"), account, to, from_, body, datetime.now(timezone.utc))
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
        call = PlacedCall(new_sid("CA"), account, to, from_, twiml or None, None if twiml else url, method, datetime.now(timezone.utc))
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
