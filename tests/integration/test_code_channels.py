"""A real code through each channel — SMTP sink, sandbox SMS, sandbox call with the signed
webhook — verified through the code challenge over HTTP; then the flows' real histories are
read, decrypted, and searched for the code and the call token."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from engine.codec import EncryptionCodec
from tests.support.histories import decoded_text

EMAIL = "pat.provider@example.com"
PHONE = "+12025550143"
JSON = {"content-type": "application/json"}


async def start(http, channel: str, destination: str) -> str:
    response = await http.post("/api/v1/challenge", json={"channel": channel, "destination": destination})
    assert response.status_code == 201, response.text
    assert response.json()["step"] == "code"
    return response.cookies["atrezzo_flow_challenge"].rsplit(".", 1)[0]


async def assert_no_secrets(live_app, flow_id: str, destination: str, *secrets: str) -> None:
    history = await live_app.client.get_workflow_handle(flow_id).fetch_history()
    text = await decoded_text(history, EncryptionCodec(live_app.settings.payload_key_ring))
    for secret in secrets:
        assert secret not in text, f"{secret!r} is in the decoded history of {flow_id}"
    # The reading is real: the destination is in the decrypted history, never in what the server stores.
    assert destination in text
    assert destination not in history.to_json()


async def test_email_code(live_app, mail):
    async with live_app.http() as http:
        flow_id = await start(http, "email", EMAIL)
        sent = await http.post("/api/v1/challenge/send", headers=JSON)
        assert sent.json()["notice"].startswith("Verification code has been sent")
        await mail.wait_for_messages_to(EMAIL)
        code = mail.last_code_to(EMAIL)
        wrong = "000000" if code != "000000" else "111111"
        refused = await http.post("/api/v1/challenge/verify", json={"code": wrong})
        assert refused.json()["errors"] == {"code": "The verification code is incorrect. Please try again."}
        malformed = await http.post("/api/v1/challenge/verify", json={"code": "12ab"})
        assert malformed.json()["errors"] == {"code": "Enter the 6-digit code."}
        verified = await http.post("/api/v1/challenge/verify", json={"code": code})
        assert verified.json()["status"] == "completed"
    await assert_no_secrets(live_app, flow_id, EMAIL, code)


async def test_sms_code(live_app, phones):
    async with live_app.http() as http:
        flow_id = await start(http, "sms", PHONE)
        await http.post("/api/v1/challenge/send", headers=JSON)
        await phones.wait_for_sms_to(PHONE)
        code = phones.last_code_sms_to(PHONE)
        verified = await http.post("/api/v1/challenge/verify", json={"code": f"{code[:3]} {code[3:]}"})
        assert verified.json()["status"] == "completed"
    await assert_no_secrets(live_app, flow_id, PHONE, code)


async def test_voice_call_speaks_the_code_digit_by_digit_twice(live_app, phones):
    """Through the real twilio client and the sandbox: the TwiML says the code one digit at a
    time, twice, and asks for no key; the code typed on the screen completes the challenge."""
    async with live_app.http() as http:
        flow_id = await start(http, "voice", PHONE)
        placed = await http.post("/api/v1/challenge/send", headers=JSON)
        assert placed.json()["notice"].startswith("We are calling you now")
        [call] = await phones.wait_for_calls_to(PHONE)
        code = phones.last_spoken_code_to(PHONE)
        said = [say.text for say in ET.fromstring(call["twiml"]).iter("Say")]
        spoken = ". ".join(code)
        assert said[0].endswith(f"Your verification code is: {spoken}.") and said[1].endswith(f"is: {spoken}.")
        assert ET.fromstring(call["twiml"]).find("Gather") is None
        verified = await http.post("/api/v1/challenge/verify", json={"code": code})
        assert verified.json()["status"] == "completed"
    await assert_no_secrets(live_app, flow_id, PHONE, code)
