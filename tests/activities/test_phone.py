"""Phone activities: the real twilio client against the sandbox."""

from __future__ import annotations

import asyncio
import dataclasses
import xml.etree.ElementTree as ET

import pytest
import requests
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.contracts import INVALID_DESTINATION, CodeDelivery
from activities.phone import TWILIO_TIMEOUT_SECONDS, PhoneActivities, twilio_client
from domain import digests
from tests.support.temporal import make_settings

NUMBER = "+12025550143"


@pytest.fixture
def phone(twilio_sandbox):
    settings = make_settings(
        twilio_account_sid=twilio_sandbox.account_sid,
        twilio_auth_token=twilio_sandbox.auth_token,
        twilio_api_base_url=twilio_sandbox.url,
        public_base_url="https://portal.example",
    )
    return settings, PhoneActivities(settings, twilio_client(settings))


async def test_sms_carries_the_code_and_returns_its_digest(phone, phones):
    settings, activities = phone
    sent = await ActivityEnvironment().run(activities.send_code_sms, CodeDelivery(NUMBER, "login", 600))
    [sms] = phones.sms_to(NUMBER)
    code = phones.last_code_sms_to(NUMBER)
    assert sms["sid"] == sent.provider_id and "expires in 10 minutes" in sms["body"]
    assert sms["from"] == settings.twilio_from_number
    assert sent.digest == digests.code_digest(digests.derive_key(settings.secret_key, digests.CODE_KEY), "test", code)


async def test_a_retried_sms_repeats_the_code_it_may_already_have_delivered(phone, phones):
    settings, activities = phone
    env = ActivityEnvironment()
    codes, sends = [], []
    for number in (1, 2):
        env.info = dataclasses.replace(env.info, attempt=number)
        sends.append(await env.run(activities.send_code_sms, CodeDelivery(NUMBER, "login", 600)))
        codes.append(phones.last_code_sms_to(NUMBER))
    assert codes[0] == codes[1] and sends[0].digest == sends[1].digest


async def test_a_call_speaks_its_code_digit_by_digit_twice_and_returns_only_its_digest(phone, phones):
    settings, activities = phone
    sent = await ActivityEnvironment().run(activities.place_verification_call, CodeDelivery(NUMBER, "registration", 600))
    [call] = phones.calls_to(NUMBER)
    twiml = ET.fromstring(call["twiml"])
    assert twiml.find("Gather") is None  # nothing to press: a key approves nothing
    code = call["spoken_code"]
    spoken = ". ".join(code)
    said = [say.text for say in twiml.iter("Say")]
    assert said[0] == f"This is the Atrezzo Provider Portal. Your verification code is: {spoken}."
    assert said[1] == f"Again, your verification code is: {spoken}."
    assert twiml.find("Pause").attrib["length"] == "1"
    key = digests.derive_key(settings.secret_key, digests.CODE_KEY)
    assert sent.digest == digests.code_digest(key, "test", code) and sent.detail == {"spoken_code": "yes"}
    assert code not in repr(sent)


async def test_a_number_twilio_refuses_is_not_retried(phone):
    settings, activities = phone
    with pytest.raises(ApplicationError) as refused:
        await ActivityEnvironment().run(activities.send_code_sms, CodeDelivery("", "login", 600))
    assert refused.value.type == INVALID_DESTINATION and refused.value.non_retryable


async def test_a_stalled_connection_to_twilio_fails_the_attempt_instead_of_holding_its_thread():
    # The twilio client waits forever by default: each stalled send kept a worker thread for
    # good while Temporal retried the send elsewhere.
    async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    server = await asyncio.start_server(say_nothing, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = make_settings(twilio_api_base_url=f"http://127.0.0.1:{port}")
    activities = PhoneActivities(settings, twilio_client(settings))
    try:
        async with asyncio.timeout(TWILIO_TIMEOUT_SECONDS * 3):
            with pytest.raises(requests.exceptions.Timeout):
                await ActivityEnvironment().run(activities.send_code_sms, CodeDelivery(NUMBER, "login", 600))
    finally:
        server.close()
