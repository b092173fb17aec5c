"""Waiting for email in the SMTP sink's mailbox. One reader polls it every 10 ms and files
new messages by recipient, so twenty flows waiting at once cost one scan, not twenty."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from devstack.smtp_sink import Mailbox, ReceivedMessage

POLL_SECONDS = 0.01
WAIT_AT_MOST = 30.0
CODE = re.compile(r"verification code is: (\d{6})")


class MailWatch:
    def __init__(self, mailbox: Mailbox) -> None:
        self._mailbox = mailbox
        self._newest_seen = 0
        self._by_address: dict[str, list[ReceivedMessage]] = {}
        self._arrived = asyncio.Event()

    async def message_to(self, address: str, number: int) -> ReceivedMessage:
        """The ``number``-th message (from 1) sent to ``address``, once it is in the mailbox."""
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
        code = CODE.search((await self.message_to(address, number)).text)
        if code is None:
            raise RuntimeError(f"no verification code in email number {number} to {address}")
        return code.group(1)

    async def poll(self) -> None:
        """Run until cancelled."""
        while True:
            if self._file_new_messages():
                # Wake every waiter; each checks its own address and waits on the next event.
                arrived, self._arrived = self._arrived, asyncio.Event()
                arrived.set()
            await asyncio.sleep(POLL_SECONDS)

    def _file_new_messages(self) -> bool:
        new: list[ReceivedMessage] = []
        for message in self._mailbox.newest_first():
            if message.id <= self._newest_seen:
                break
            new.append(message)
        for message in reversed(new):
            for rcpt in message.rcpt_tos:
                self._by_address.setdefault(rcpt.casefold(), []).append(message)
        if new:
            self._newest_seen = new[0].id
        return bool(new)


@asynccontextmanager
async def watching(mailbox: Mailbox) -> AsyncIterator[MailWatch]:
    watch = MailWatch(mailbox)
    poller = asyncio.create_task(watch.poll(), name="mail watch")
    try:
        yield watch
    finally:
        poller.cancel()
        try:
            await poller
        except asyncio.CancelledError:
            pass
