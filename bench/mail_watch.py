"""Waiting for email in the SMTP sink, over its JSON API. One reader asks for what arrived since
the newest message it has seen, the sink holding the question until something comes, and files
new messages by recipient: fifty flows waiting at once cost one request per arrival, not fifty,
and no polling spends the CPU the app is measured on."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

ASK_TO_WAIT = 20.0  # seconds the sink may hold one question; it answers at once when mail comes
WAIT_AT_MOST = 30.0
CODE = re.compile(r"verification code is: (\d{6})")


class MailWatch:
    def __init__(self, http: aiohttp.ClientSession) -> None:
        self._http = http
        self._newest_seen = 0
        self._by_address: dict[str, list[dict]] = {}
        self._arrived = asyncio.Event()

    async def message_to(self, address: str, number: int) -> dict:
        """The ``number``-th message (from 1) sent to ``address``, once it is in the sink."""
        key = address.casefold()
        try:
            async with asyncio.timeout(WAIT_AT_MOST):
                while len(self._by_address.get(key, ())) < number:
                    await self._arrived.wait()
        except TimeoutError:
            raise RuntimeError(f"no email number {number} to {address} within {WAIT_AT_MOST:.0f} s") from None
        return self._by_address[key][number - 1]

    async def code_to(self, address: str, number: int) -> str:
        """The verification code in the ``number``-th message to ``address``."""
        code = CODE.search((await self.message_to(address, number))["text"])
        if code is None:
            raise RuntimeError(f"no verification code in email number {number} to {address}")
        return code.group(1)

    async def poll(self) -> None:
        """Run until cancelled."""
        while True:
            if await self._file_new_messages():
                # Wake every waiter; each checks its own address and waits on the next event.
                arrived, self._arrived = self._arrived, asyncio.Event()
                arrived.set()

    async def _file_new_messages(self) -> bool:
        async with self._http.get("/api/messages", params={"after": self._newest_seen, "wait": ASK_TO_WAIT}) as answer:
            new = await answer.json()
        for message in reversed(new):  # oldest first
            for rcpt in message["to"]:
                self._by_address.setdefault(rcpt.casefold(), []).append(message)
        if new:
            self._newest_seen = new[0]["id"]
        return bool(new)


@asynccontextmanager
async def watching(mail_url: str) -> AsyncIterator[MailWatch]:
    async with aiohttp.ClientSession(base_url=mail_url, timeout=aiohttp.ClientTimeout(total=ASK_TO_WAIT + 10)) as http:
        watch = MailWatch(http)
        poller = asyncio.create_task(watch.poll(), name="mail watch")
        try:
            yield watch
        finally:
            poller.cancel()
            try:
                await poller
            except asyncio.CancelledError:
                pass
