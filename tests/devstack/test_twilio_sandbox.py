"""The real twilio client against the sandbox, and the sandbox calling a webhook back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

TO, FROM = "+15551230001", "+15005550006"


class Webhook:
    """The app's side: serves TwiML at /twiml, takes the <Gather> result at /hook, checks signatures."""

    def __init__(self, auth_token: str) -> None:
        self.requests: list[dict] = []
        validator = RequestValidator(auth_token)
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                form = dict(parse_qsl(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()))
                self._record(form, signed_params=form)

            def do_GET(self) -> None:
                # Twilio signs a GET over the URL with its query and no parameters.
                self._record(dict(parse_qsl(urlsplit(self.path).query)), signed_params={})

            def _record(self, params: dict, signed_params: dict) -> None:
                url = f"http://127.0.0.1:{self.server.server_port}{self.path}"
                signed = validator.validate(url, signed_params, self.headers.get("X-Twilio-Signature", ""))
                path = urlsplit(self.path).path
                received.append({"method": self.command, "path": path, "params": params, "signed": signed})
                twiml = GATHER_RELATIVE if path == "/twiml" else "<Response><Say>Thanks</Say></Response>"
                self.send_response(200 if signed else 403)
                self.send_header("Content-Type", "text/xml")
                self.end_headers()
                self.wfile.write(twiml.encode())

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


GATHER_RELATIVE = '<Response><Gather numDigits="1" finishOnKey="" action="hook"><Say>Press pound</Say></Gather></Response>'


@pytest.fixture
def webhook(phones) -> Iterator[Webhook]:
    hook = Webhook(phones.auth_token)
    yield hook
    hook.close()


@pytest.fixture
def twilio(phones) -> Client:
    client = Client(phones.account_sid, phones.auth_token)
    client.api.base_url = phones.url
    return client


def _gather_twiml(action: str, finish_on_key: str = "") -> str:
    # Built like the app builds it: VoiceResponse adds an XML declaration and escapes the action.
    response = VoiceResponse()
    response.gather(num_digits=1, finish_on_key=finish_on_key, action=action).say("Press pound")
    return str(response)


def test_sms_from_the_real_client_is_stored(twilio, phones):
    sent = twilio.messages.create(to=TO, from_=FROM, body="Your Atrezzo code is 482910")

    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert (sent.status, sent.to, sent.from_, sent.account_sid) == ("queued", TO, FROM, phones.account_sid)
    assert isinstance(sent.date_created, datetime)
    assert sent.uri == f"/2010-04-01/Accounts/{phones.account_sid}/Messages/{sent.sid}.json"
    [stored] = phones.sms_to(TO)
    assert (stored["sid"], stored["body"]) == (sent.sid, "Your Atrezzo code is 482910")
    assert phones.last_code_sms_to(TO) == "482910"
    assert httpx.get(f"{phones.url}/api/messages", params={"to": TO}).json()[0]["sid"] == sent.sid
    assert "Your Atrezzo code is 482910" in httpx.get(phones.url).text


def test_pressing_pound_reports_signed_digits_to_the_gather_action(twilio, phones, webhook):
    call = twilio.calls.create(to=TO, from_=FROM, twiml=_gather_twiml(f"{webhook.url}/hook?step=1&flow=a"))
    assert call.sid.startswith("CA") and len(call.sid) == 34 and call.status == "queued"
    assert phones.calls_to(TO)[0]["status"] == "ringing"

    assert phones.press(call.sid) == 200

    [hook] = webhook.requests
    assert hook["signed"] and hook["path"] == "/hook"
    assert hook["params"] == {
        "AccountSid": phones.account_sid, "ApiVersion": "2010-04-01", "CallSid": call.sid, "CallStatus": "in-progress",
        "Direction": "outbound-api", "From": FROM, "To": TO, "Digits": "#",
    }
    [stored] = phones.calls_to(TO)
    assert (stored["status"], stored["digits"], stored["callback_status"]) == ("completed", "#", 200)
    assert httpx.post(f"{phones.url}/api/calls/{call.sid}/press", json={}).status_code == 409


def test_a_call_with_a_url_fetches_its_twiml_and_resolves_a_relative_action(twilio, phones, webhook):
    call = twilio.calls.create(to=TO, from_=FROM, url=f"{webhook.url}/twiml")

    assert phones.press(call.sid) == 200

    fetch, hook = webhook.requests
    assert fetch["path"] == "/twiml" and fetch["signed"] and "Digits" not in fetch["params"]
    assert hook["path"] == "/hook" and hook["signed"] and hook["params"]["Digits"] == "#"


def test_a_gather_with_method_get_gets_a_signed_query(twilio, phones, webhook):
    twiml = f'<Response><Gather numDigits="1" finishOnKey="" method="GET" action="{webhook.url}/hook?step=2"/></Response>'
    call = twilio.calls.create(to=TO, from_=FROM, twiml=twiml)

    assert phones.press(call.sid, "#") == 200

    [hook] = webhook.requests
    assert (hook["method"], hook["path"], hook["signed"]) == ("GET", "/hook", True)
    assert hook["params"]["step"] == "2" and hook["params"]["Digits"] == "#"


async def test_the_page_answers_a_ringing_call(twilio, phones, webhook):
    call = twilio.calls.create(to=TO, from_=FROM, twiml=_gather_twiml(f"{webhook.url}/hook"))
    async with httpx.AsyncClient(base_url=phones.url) as web:
        assert f'action="/calls/{call.sid}/press"' in (await web.get("/")).text
        answered = await web.post(f"/calls/{call.sid}/press", data={"digits": "#"})
    assert answered.status_code == 200 and "answered 200" in answered.text
    assert webhook.requests[0]["params"]["Digits"] == "#"


async def test_press_async_reports_the_callback_status(twilio, phones, webhook):
    call = twilio.calls.create(to=TO, from_=FROM, twiml=_gather_twiml(f"{webhook.url}/hook"))
    assert await phones.press_async(call.sid) == 200


def test_keys_are_reported_as_twilio_would(twilio, phones, webhook):
    default_finish = twilio.calls.create(to=TO, from_=FROM, twiml=_gather_twiml(f"{webhook.url}/hook", finish_on_key="#"))
    refused = httpx.post(f"{phones.url}/api/calls/{default_finish.sid}/press", json={"digits": "#"})
    assert refused.status_code == 409 and "no digits" in refused.json()["detail"]
    assert phones.calls_to(TO)[0]["status"] == "ringing"

    assert phones.press(default_finish.sid, "7#") == 200
    assert webhook.requests[0]["params"]["Digits"] == "7"


def test_a_call_without_gather_cannot_be_pressed(twilio, phones):
    call = twilio.calls.create(to=TO, from_=FROM, twiml="<Response><Say>Hello</Say></Response>")
    refused = httpx.post(f"{phones.url}/api/calls/{call.sid}/press", json={"digits": "#"})
    assert refused.status_code == 409 and "<Gather>" in refused.json()["detail"]
    assert httpx.post(f"{phones.url}/api/calls/CA{'0' * 32}/press").status_code == 404


def test_wrong_auth_token_is_refused_like_twilio(phones):
    client = Client(phones.account_sid, "not-the-token")
    client.api.base_url = phones.url
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to=TO, from_=FROM, body="hi")
    assert (refused.value.status, refused.value.code) == (401, 20003)
    assert phones.sms_to(TO) == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [({"from_": FROM}, 21602), ({"body": "hi"}, 21603), ({"from_": FROM, "body": "hi", "to": "555"}, 21211)],
)
def test_incomplete_messages_are_refused_like_twilio(twilio, phones, fields, code):
    with pytest.raises(TwilioRestException) as refused:
        twilio.messages.create(**({"to": TO} | fields))
    assert (refused.value.status, refused.value.code) == (400, code)


def test_twiml_with_a_dtd_is_refused(twilio):
    doctype = '<!DOCTYPE r [<!ENTITY x "y">]><Response><Say>&x;</Say></Response>'
    with pytest.raises(TwilioRestException) as refused:
        twilio.calls.create(to=TO, from_=FROM, twiml=doctype)
    assert (refused.value.status, refused.value.code) == (400, 12100)


def test_clearing_the_state(twilio, phones):
    twilio.messages.create(to=TO, from_=FROM, body="hi")
    assert httpx.delete(f"{phones.url}/api/state").status_code == 204
    assert httpx.get(f"{phones.url}/api/messages").json() == []
