"""The SMTP sink and the Twilio sandbox, one of each per run, with helpers to read what the
app sent (codes, links) and to answer its calls.

Ask for `mail` / `phones` in a test to start from an empty inbox / handset; the session
fixtures `smtp_sink` / `twilio_sandbox` hold the ports and credentials to configure the app.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from aiosmtpd.controller import Controller

from devstack.smtp_sink import RunningSmtpSink
from devstack.ports import free_port
from devstack.twilio_sandbox import RunningTwilioSandbox


@contextmanager
def smtp_server(handler: object) -> Iterator[int]:
    """A mail server of a test's own (aiosmtpd ``handler``: one that refuses, or is slow), by port."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


class RefuseEveryone:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such mailbox"


class SlowRelay:
    """Takes ``seconds`` over each message, and keeps none."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.seconds)
        return "250 OK"


CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
LINK = re.compile(r"https?://[^\s<>\"')]+")


async def _wait_for(read: Callable[[], list], count: int, timeout: float, what: str) -> list:
    # Polls rather than blocks: the app sending the message may run on this very event loop.
    deadline = time.monotonic() + timeout
    while len(found := read()) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {count} {what}, got {len(found)}")
        await asyncio.sleep(0.05)
    return found


def _last_code(text: str, what: str) -> str:
    codes = CODE.findall(text)
    if not codes:
        raise AssertionError(f"no 6-digit code in {what}: {text!r}")
    return codes[-1]


class MailSink:
    def __init__(self, running: RunningSmtpSink) -> None:
        self.smtp_host = running.host
        self.smtp_port = running.smtp_port
        self.http_url = running.http_url
        self.mailbox = running.mailbox

    def settings_overrides(self) -> dict[str, object]:
        """Fields of settings.Settings that send the app's mail here."""
        return {"smtp_host": self.smtp_host, "smtp_port": self.smtp_port, "smtp_username": None, "smtp_password": None, "smtp_starttls": False}

    def clear(self) -> None:
        self.mailbox.clear()

    def messages_to(self, address: str) -> list[dict]:
        """Newest first, as the inbox's JSON API gives them."""
        return [m.as_json() for m in self.mailbox.newest_first(address)]

    async def wait_for_messages_to(self, address: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        return await _wait_for(lambda: self.messages_to(address), count, timeout, f"emails to {address}")

    def newest_text_to(self, address: str) -> str:
        messages = self.messages_to(address)
        if not messages:
            raise AssertionError(f"no email to {address}")
        return messages[0]["text"]

    def last_code_to(self, address: str) -> str:
        return _last_code(self.newest_text_to(address), f"the newest email to {address}")

    def last_link_to(self, address: str) -> str:
        text = self.newest_text_to(address)
        link = LINK.search(text)
        if link is None:
            raise AssertionError(f"no link in the newest email to {address}: {text!r}")
        return link.group()


class PhoneSandbox:
    def __init__(self, running: RunningTwilioSandbox) -> None:
        self.url = running.url
        self.account_sid = running.account_sid
        self.auth_token = running.auth_token
        self.state = running.state

    def settings_overrides(self) -> dict[str, object]:
        """Fields of settings.Settings that point the app's twilio client here."""
        return {"twilio_account_sid": self.account_sid, "twilio_auth_token": self.auth_token, "twilio_api_base_url": self.url}

    def clear(self) -> None:
        self.state.clear()

    def sms_to(self, number: str) -> list[dict]:
        """Newest first."""
        return [s.as_json() for s in self.state.sms_newest_first(number)]

    def calls_to(self, number: str) -> list[dict]:
        """Newest first."""
        return [c.as_json() for c in self.state.calls_newest_first(number)]

    async def wait_for_sms_to(self, number: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        return await _wait_for(lambda: self.sms_to(number), count, timeout, f"SMS to {number}")

    async def wait_for_calls_to(self, number: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
        return await _wait_for(lambda: self.calls_to(number), count, timeout, f"calls to {number}")

    def last_code_sms_to(self, number: str) -> str:
        messages = self.sms_to(number)
        if not messages:
            raise AssertionError(f"no SMS to {number}")
        return _last_code(messages[0]["body"], f"the newest SMS to {number}")

    def last_spoken_code_to(self, number: str) -> str:
        """The code the newest call to ``number`` speaks."""
        calls = self.calls_to(number)
        if not calls or not calls[0]["spoken_code"]:
            raise AssertionError(f"no call to {number} spoke a code: {calls[:1]}")
        return calls[0]["spoken_code"]

    def press(self, call_sid: str, digits: str = "#") -> int:
        """Answer and press; returns the HTTP status the app's <Gather> action answered.

        Blocks this thread until the app answered: from an async test whose loop also serves
        the app, use `press_async`."""
        response = httpx.post(f"{self.url}/api/calls/{call_sid}/press", json={"digits": digits}, timeout=30)
        return self._callback_status(response)

    async def press_async(self, call_sid: str, digits: str = "#") -> int:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(f"{self.url}/api/calls/{call_sid}/press", json={"digits": digits})
        return self._callback_status(response)

    @staticmethod
    def _callback_status(response: httpx.Response) -> int:
        if not response.is_success:
            raise AssertionError(f"the sandbox could not press: {response.status_code} {response.text}")
        return response.json()["callback_status"]


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[MailSink]:
    with RunningSmtpSink() as running:
        yield MailSink(running)


@pytest.fixture(scope="session")
def twilio_sandbox() -> Iterator[PhoneSandbox]:
    with RunningTwilioSandbox("AC" + secrets.token_hex(16), secrets.token_hex(16)) as running:
        yield PhoneSandbox(running)


@pytest.fixture
def mail(smtp_sink: MailSink) -> MailSink:
    smtp_sink.clear()
    return smtp_sink


@pytest.fixture
def phones(twilio_sandbox: PhoneSandbox) -> PhoneSandbox:
    twilio_sandbox.clear()
    return twilio_sandbox
