"""The voice webhook believes only requests signed with our Twilio auth token."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from api.app import create_app
from tests.support.app import asgi_client
from tests.support.temporal import make_settings

FLOW = "challenge-2f1d7c36-6a0e-4c1f-9d0b-0c3b0f6a9e11"
PATH = f"/webhooks/twilio/voice/{FLOW}?token=abc"
FORM = {"CallSid": "CA" + "0" * 32, "Digits": "#", "From": "+15005550006", "To": "+12025550143"}


@pytest.fixture
def settings():
    return make_settings(public_base_url="https://portal.example", temporal_address="127.0.0.1:1")


@pytest.fixture
async def client(settings):
    async with asgi_client(create_app(settings)) as c:
        yield c


def signed(settings, url_path: str, form: dict, token: str | None = None) -> dict:
    validator = RequestValidator(token or settings.twilio_auth_token)
    return {"X-Twilio-Signature": validator.compute_signature(settings.public_base_url + url_path, form)}


async def test_unsigned_request_is_refused(client):
    response = await client.post(PATH, data=FORM)
    assert response.status_code == 403


async def test_request_signed_with_another_token_is_refused(client, settings):
    response = await client.post(PATH, data=FORM, headers=signed(settings, PATH, FORM, token="f" * 32))
    assert response.status_code == 403


async def test_signature_over_other_parameters_is_refused(client, settings):
    headers = signed(settings, PATH, {**FORM, "Digits": "1"})
    response = await client.post(PATH, data=FORM, headers=headers)
    assert response.status_code == 403


async def test_signature_over_another_flow_is_refused(client, settings):
    other = PATH.replace(FLOW[-4:], "ffff")
    response = await client.post(PATH, data=FORM, headers=signed(settings, other, FORM))
    assert response.status_code == 403


async def test_signed_request_for_a_malformed_flow_gets_polite_twiml(client, settings):
    path = "/webhooks/twilio/voice/not-a-flow?token=abc"
    response = await client.post(path, data=FORM, headers=signed(settings, path, FORM))
    assert response.status_code == 200
    assert "<Say>This verification call is not valid. Goodbye.</Say>" in response.text
