"""The sink receives real SMTP and shows it on its JSON API and its inbox pages."""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage

import aiosmtplib
import httpx
import pytest

from devstack.smtp_sink import RunningSmtpSink, serve


def _mail(to: str, subject: str, text: str, html: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Atrezzo <no-reply@atrezzo.local>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


async def test_mail_sent_over_smtp_shows_on_the_api_and_the_inbox(mail):
    text = "Your code is 123456.\nOr open https://portal.example/verify?t=abc within 20 minutes."
    html = "<p>Your code is <b>123456</b><script>alert(1)</script></p>"
    await aiosmtplib.send(_mail("Dr.Who@Example.org", "Verify your email", text, html), hostname="127.0.0.1", port=mail.smtp_port)

    async with httpx.AsyncClient(base_url=mail.http_url) as web:
        [listed] = (await web.get("/api/messages", params={"to": "dr.who@example.org"})).json()
        assert listed["subject"] == "Verify your email"
        assert listed["to"] == ["Dr.Who@Example.org"]
        assert listed["text"].strip() == text
        assert "<b>123456</b>" in listed["html"]
        assert listed["received_at"]

        inbox = await web.get("/")
        assert "Verify your email" in inbox.text and f'href="/messages/{listed["id"]}"' in inbox.text
        page = await web.get(f"/messages/{listed['id']}")
        assert '<a href="https://portal.example/verify?t=abc"' in page.text
        assert "<iframe sandbox" in page.text and "<script>" not in page.text
        mail_html = await web.get(f"/messages/{listed['id']}/html")
        assert "sandbox" in mail_html.headers["content-security-policy"]
        assert (await web.get("/messages/999999")).status_code == 404

    assert mail.last_code_to("dr.who@example.org") == "123456"
    assert mail.last_link_to("dr.who@example.org") == "https://portal.example/verify?t=abc"


async def test_messages_are_filtered_by_recipient_newest_first_and_cleared(mail):
    for n, to in enumerate(["a@example.org", "b@example.org", "a@example.org"]):
        await aiosmtplib.send(_mail(to, f"message {n}", f"code {n}0000{n}"), hostname="127.0.0.1", port=mail.smtp_port)

    assert [m["subject"] for m in mail.messages_to("a@example.org")] == ["message 2", "message 0"]
    assert mail.last_code_to("a@example.org") == "200002"
    async with httpx.AsyncClient(base_url=mail.http_url) as web:
        every = (await web.get("/api/messages")).json()
        assert len(every) == 3
        since_first = (await web.get("/api/messages", params={"after": every[-1]["id"]})).json()
        assert [m["subject"] for m in since_first] == ["message 2", "message 1"]
        assert (await web.delete("/api/messages")).status_code == 204
        assert (await web.get("/api/messages")).json() == []


async def test_a_reader_may_wait_for_the_next_message_to_an_address(mail):
    async with httpx.AsyncClient(base_url=mail.http_url, timeout=10) as web:
        newest = max((m["id"] for m in (await web.get("/api/messages")).json()), default=0)
        asked = asyncio.create_task(web.get("/api/messages", params={"to": "wait@example.org", "after": newest, "wait": 5}))
        await asyncio.sleep(0.3)
        await aiosmtplib.send(_mail("other@example.org", "not for the reader", "x"), hostname="127.0.0.1", port=mail.smtp_port)
        await asyncio.sleep(0.3)
        assert not asked.done()
        sent = asyncio.get_running_loop().time()
        await aiosmtplib.send(_mail("wait@example.org", "awaited", "y"), hostname="127.0.0.1", port=mail.smtp_port)
        assert [m["subject"] for m in (await asked).json()] == ["awaited"]
        assert asyncio.get_running_loop().time() - sent < 2  # answered on arrival, not at the end of the wait

        started = asyncio.get_running_loop().time()
        nothing = await web.get("/api/messages", params={"to": "nobody@example.org", "wait": 0.3})
        assert nothing.json() == [] and asyncio.get_running_loop().time() - started >= 0.3
        assert (await web.get("/api/messages", params={"wait": 61})).status_code == 422


async def test_a_reader_that_hung_up_does_not_hold_the_sink_open():
    sink = RunningSmtpSink().__enter__()
    async with httpx.AsyncClient(base_url=sink.http_url, timeout=60) as web:
        asked = asyncio.create_task(web.get("/api/messages", params={"wait": 60}))
        await asyncio.sleep(0.3)
        asked.cancel()
    stopping = asyncio.get_running_loop().time()
    await asyncio.to_thread(sink.__exit__, None, None, None)
    # Its thread would otherwise wait out the 60 s (joined for at most 10, then left behind).
    assert asyncio.get_running_loop().time() - stopping < 5


async def test_helpers_fail_with_a_message_when_nothing_matches(mail):
    with pytest.raises(AssertionError, match="no email to nobody@example.org"):
        mail.last_code_to("nobody@example.org")
    await aiosmtplib.send(_mail("c@example.org", "no code", "nothing to see"), hostname="127.0.0.1", port=mail.smtp_port)
    with pytest.raises(AssertionError, match="no 6-digit code"):
        mail.last_code_to("c@example.org")
    with pytest.raises(AssertionError, match="no link"):
        mail.last_link_to("c@example.org")


async def test_wait_for_messages_sees_mail_that_arrives_later(mail):
    async def send_soon():
        await asyncio.sleep(0.2)
        await aiosmtplib.send(_mail("late@example.org", "late", "654321"), hostname="127.0.0.1", port=mail.smtp_port)

    sending = asyncio.create_task(send_soon())
    [message] = await mail.wait_for_messages_to("late@example.org", timeout=5)
    await sending
    assert message["subject"] == "late"


async def test_serve_runs_until_cancelled_and_frees_its_ports(capsys):
    serving = asyncio.create_task(serve(0, 0))
    while not (printed := capsys.readouterr().out):
        await asyncio.sleep(0.01)
    smtp_port, http_url = re.search(r"smtp://127\.0\.0\.1:(\d+)\s+inbox (\S+)/", printed).groups()

    await aiosmtplib.send(_mail("d@example.org", "served", "hello"), hostname="127.0.0.1", port=int(smtp_port))
    async with httpx.AsyncClient(base_url=http_url) as web:
        assert (await web.get("/api/messages")).json()[0]["subject"] == "served"

    serving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await serving
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(base_url=http_url) as web:
            await web.get("/")
