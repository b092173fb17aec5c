"""An SMTP server that keeps every message in memory, with a web inbox to read them.

`python -m devstack.smtp_sink` for a person; `RunningSmtpSink` for tests.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import itertools
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.smtp import SMTP
from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates

from devstack.background import AppServer, InThread, listening_socket

# The inbox renders mail it did not write: nothing on its pages may load or run anything.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
# The HTML part is shown inside the inbox; `sandbox` gives it an opaque origin even when opened directly.
MAIL_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"
# The longest a reader of the JSON API may ask to wait for new mail (seconds).
MAX_WAIT = 60.0


@dataclass(frozen=True)
class ReceivedMessage:
    id: int
    received_at: datetime
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    text: str
    html: str
    raw: bytes

    def is_to(self, address: str) -> bool:
        return address.casefold() in (rcpt.casefold() for rcpt in self.rcpt_tos)

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "from": self.mail_from,
            "to": list(self.rcpt_tos),
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
            "received_at": self.received_at.isoformat(),
        }


class Mailbox:
    """Every message the sink accepted; safe to read from other threads than the server's."""

    def __init__(self, limit: int = 1000) -> None:
        # A dev stack runs for days; the oldest mail goes rather than the memory.
        self._messages: deque[ReceivedMessage] = deque(maxlen=limit)
        # Ids never restart, so a link to a cleared message cannot show another one.
        self._ids = itertools.count(1)
        self._newest_id = 0
        self._lock = threading.Lock()
        # Readers waiting for the next message, each with the loop it waits on.
        self._waiting: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def add(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> ReceivedMessage:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        with self._lock:
            message = ReceivedMessage(
                id=next(self._ids),
                received_at=datetime.now(timezone.utc),
                mail_from=mail_from,
                rcpt_tos=tuple(rcpt_tos),
                subject=str(parsed.get("subject", "")),
                text=_body_text(parsed, "plain"),
                html=_body_text(parsed, "html"),
                raw=raw,
            )
            self._messages.append(message)
            self._newest_id = message.id
            waiting, self._waiting = self._waiting, set()
        for loop, arrived in waiting:
            try:
                loop.call_soon_threadsafe(arrived.set)
            except RuntimeError:  # its loop was closed while it waited: nobody to wake
                pass
        return message

    @property
    def newest_id(self) -> int:
        """The id of the newest message ever received (0 before the first), cleared or not."""
        with self._lock:
            return self._newest_id

    async def wait_for_newer(self, after: int, seconds: float) -> None:
        """Return once a message newer than id ``after`` is in the box, or ``seconds`` later."""
        arrived = asyncio.Event()
        waiter = (asyncio.get_running_loop(), arrived)
        with self._lock:
            if self._newest_id > after:
                return
            self._waiting.add(waiter)
        try:
            await asyncio.wait_for(arrived.wait(), seconds)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                self._waiting.discard(waiter)

    def newest_first(self, to: str | None = None) -> list[ReceivedMessage]:
        with self._lock:
            messages = list(reversed(self._messages))
        return [m for m in messages if to is None or m.is_to(to)]

    def get(self, message_id: int) -> ReceivedMessage | None:
        with self._lock:
            return next((m for m in self._messages if m.id == message_id), None)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


def _body_text(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        # A sink must show broken mail rather than refuse it (unknown charset, bad encoding).
        content = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
    # SMTP carries CRLF; whoever reads the text wants it as it was written.
    return content.replace("\r\n", "\n")


class MailboxHandler:
    """aiosmtpd handler: accept everything, keep it."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope) -> str:
        self.mailbox.add(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        return "250 Message accepted for delivery"


def create_inbox_app(mailbox: Mailbox) -> FastAPI:
    app = FastAPI(title="SMTP sink", docs_url=None, redoc_url=None, openapi_url=None)
    templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

    @app.middleware("http")
    async def lock_down_pages(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def message_or_404(message_id: int) -> ReceivedMessage:
        message = mailbox.get(message_id)
        if message is None:
            raise HTTPException(404, f"no message {message_id} (cleared, or never received)")
        return message

    @app.get("/", response_class=HTMLResponse)
    async def inbox(request: Request):
        return templates.TemplateResponse(request, "smtp_sink/inbox.html", {"messages": mailbox.newest_first()})

    @app.get("/messages/{message_id}", response_class=HTMLResponse)
    async def show_message(request: Request, message_id: int):
        return templates.TemplateResponse(request, "smtp_sink/message.html", {"message": message_or_404(message_id)})

    @app.get("/messages/{message_id}/html", response_class=HTMLResponse)
    async def message_html(message_id: int):
        return HTMLResponse(message_or_404(message_id).html, headers={"Content-Security-Policy": MAIL_HTML_POLICY})

    @app.get("/messages/{message_id}/raw", response_class=PlainTextResponse)
    async def message_raw(message_id: int):
        return PlainTextResponse(message_or_404(message_id).raw.decode("utf-8", "replace"))

    @app.get("/api/messages")
    async def list_messages(
        request: Request, to: str | None = None, after: int = 0, wait: float = Query(0, ge=0, le=MAX_WAIT)
    ) -> list[dict]:
        """Newest first; ``after`` an id: only the messages since (what a watcher has not seen).
        With ``wait`` (seconds), an empty answer waits that long for a message to come: a
        watcher then asks once per arrival instead of polling."""
        deadline = asyncio.get_running_loop().time() + wait
        gone: asyncio.Future | None = None
        try:
            while True:
                seen = mailbox.newest_id
                newer = [m.as_json() for m in mailbox.newest_first(to) if m.id > after]
                left = deadline - asyncio.get_running_loop().time()
                if newer or left <= 0 or (gone and gone.done()):
                    return newer
                # A reader that hung up must not keep the sink from shutting down until its wait ends.
                gone = gone or asyncio.ensure_future(_hung_up(request))
                # A message to anyone wakes this; the loop then looks again for ``to``.
                arrival = asyncio.ensure_future(mailbox.wait_for_newer(seen, left))
                await asyncio.wait({arrival, gone}, return_when=asyncio.FIRST_COMPLETED)
                arrival.cancel()
        finally:
            if gone:
                gone.cancel()

    @app.delete("/api/messages", status_code=204)
    async def clear_messages() -> Response:
        mailbox.clear()
        return Response(status_code=204)

    return app


async def _hung_up(request: Request) -> None:
    """Return when the client of ``request`` (one without a body to read) disconnects."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


class SmtpSink:
    """The SMTP listener and the inbox on one event loop. Ports are bound on construction
    (0 picks a free one), so they are known before `run()` starts serving."""

    def __init__(self, mailbox: Mailbox, host: str = "127.0.0.1", smtp_port: int = 0, http_port: int = 0) -> None:
        self.mailbox = mailbox
        self._smtp_socket = listening_socket(host, smtp_port)
        self.smtp_port = self._smtp_socket.getsockname()[1]
        self._inbox = AppServer(create_inbox_app(mailbox), host, http_port)
        self.http_url = self._inbox.url

    @property
    def started(self) -> bool:
        return self._inbox.started

    async def run(self) -> None:
        """Serve until `stop()` or cancellation."""
        loop = asyncio.get_running_loop()
        # An explicit hostname: the default asks DNS for this machine's FQDN, which can hang.
        smtp = await loop.create_server(
            lambda: SMTP(MailboxHandler(self.mailbox), hostname="smtp-sink.localhost", enable_SMTPUTF8=True, loop=loop),
            sock=self._smtp_socket,
        )
        try:
            await self._inbox.run()
        finally:
            smtp.close()
            await smtp.wait_closed()

    def stop(self) -> None:
        """Safe from any thread."""
        self._inbox.stop()


async def serve(smtp_port: int, http_port: int, host: str = "127.0.0.1", *, keep: int = 1000) -> None:
    sink = SmtpSink(Mailbox(keep), host, smtp_port, http_port)
    print(f"SMTP sink: smtp://{host}:{sink.smtp_port}  inbox {sink.http_url}/", flush=True)
    await sink.run()


class RunningSmtpSink(InThread):
    """An SmtpSink on free ports in a daemon thread with its own event loop (for tests)."""

    def __init__(self, host: str = "127.0.0.1", startup_timeout: float = 10.0) -> None:
        sink = SmtpSink(Mailbox(), host)
        super().__init__(sink, "SMTP sink", startup_timeout)
        self.host, self.smtp_port, self.http_url, self.mailbox = host, sink.smtp_port, sink.http_url, sink.mailbox


def main() -> None:
    parser = argparse.ArgumentParser(description="SMTP sink with a web inbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--keep", type=int, default=1000, help="how many messages to keep (the oldest go)")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.smtp_port, args.http_port, args.host, keep=args.keep))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
