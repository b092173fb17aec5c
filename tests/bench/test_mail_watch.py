"""Waiting for mail, over the sink's JSON API: each flow finds the messages to its own address,
in the order sent, however many others are waiting on the same sink."""

from __future__ import annotations

import asyncio

import pytest

from bench import mail_watch
from bench.mail_watch import watching
from devstack.smtp_sink import Mailbox, RunningSmtpSink


def deliver(mailbox: Mailbox, to: str, subject: str) -> None:
    mailbox.add("no-reply@atrezzo.local", [to], f"Subject: {subject}\r\n\r\nbody\r\n".encode())


@pytest.fixture
def sink():
    with RunningSmtpSink() as running:
        yield running


async def test_each_waiter_gets_the_numbered_message_to_its_address(sink):
    mailbox = sink.mailbox
    deliver(mailbox, "early@example.com", "sent before anyone waited")
    async with watching(sink.http_url) as watch:
        first = asyncio.create_task(watch.message_to("Ann@example.com", 1))
        second = asyncio.create_task(watch.message_to("ann@example.com", 2))
        other = asyncio.create_task(watch.message_to("bob@example.com", 1))
        await asyncio.sleep(0.05)
        assert not (first.done() or second.done() or other.done())
        deliver(mailbox, "ann@example.com", "link")
        deliver(mailbox, "bob@example.com", "bob's")
        deliver(mailbox, "ann@example.com", "code")
        assert (await first)["subject"] == "link"
        assert (await second)["subject"] == "code"
        assert (await other)["subject"] == "bob's"
        assert (await watch.message_to("early@example.com", 1))["subject"] == "sent before anyone waited"


async def test_waiting_asks_the_sink_once_per_arrival_not_over_and_over(monkeypatch, sink):
    # Polling would spend, on the 2-core machine the bench runs on, CPU the app is measured on.
    asked = 0
    ask = mail_watch.MailWatch._file_new_messages

    async def counting(self):
        nonlocal asked
        asked += 1
        return await ask(self)

    monkeypatch.setattr(mail_watch.MailWatch, "_file_new_messages", counting)
    async with watching(sink.http_url) as watch:
        waiting = asyncio.create_task(watch.message_to("ann@example.com", 1))
        await asyncio.sleep(0.5)
        deliver(sink.mailbox, "ann@example.com", "link")
        assert (await waiting)["subject"] == "link"
    assert asked <= 3


async def test_a_message_that_never_comes_is_a_clear_error(monkeypatch, sink):
    monkeypatch.setattr(mail_watch, "WAIT_AT_MOST", 0.05)
    async with watching(sink.http_url) as watch:
        with pytest.raises(RuntimeError, match="no email number 1 to nobody@example.com"):
            await watch.message_to("nobody@example.com", 1)


async def test_the_code_is_read_from_the_numbered_message(sink):
    mailbox = sink.mailbox
    mailbox.add("no-reply@atrezzo.local", ["ann@example.com"], b"Subject: link\r\n\r\nno code here\r\n")
    body = b"Subject: code\r\n\r\nYour verification code is: 042917\r\n"
    mailbox.add("no-reply@atrezzo.local", ["ann@example.com"], body)
    async with watching(sink.http_url) as watch:
        assert await watch.code_to("ann@example.com", 2) == "042917"
        with pytest.raises(RuntimeError, match="no verification code in email number 1 to ann@example.com"):
            await watch.code_to("ann@example.com", 1)
