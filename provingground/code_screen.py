"""A verification-code screen as a person uses it: press Send, read the newest code from the
inbox (email or SMS) and type it. When the code does not come, the screen says it could not be
sent, or the code has run out, the person presses Send new code; when the portal is still
confirming the send, they type it again a moment later; when it is refused as wrong, they type
the newest code they have not typed yet, waiting for a newer message if there is none. A send
held up by a stalled provider can deliver an old code after the new one: the old one is refused,
and the person, as anyone would, tries the other message.

A *late typist* types their first code only after its life is over (counted from the press of
Send, as the guide's 30 seconds are): the portal must refuse it, whatever retry delivered it.
What they saw goes into ``person.notes`` for the judgement.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from provingground.person import COULD_NOT_SEND, GaveUp, Person, Refused

CODE = re.compile(r"verification code is:? (\d{6})")
# How long a person waits for a newer message after a code was refused before giving up.
NEWER_CODE_WAIT = 90
# One look at the inbox before the person looks at the screen again.
GLANCE = 3.0
# A code that reaches the inbox this long after Send was pressed came through a retry.
LATE_ARRIVAL = 5.0
PATIENCE = 300.0  # for a code, Send new code presses included
# What the screen says when a send is not yet confirmed, or the code is spent (workflows/).
ON_ITS_WAY = "still confirming"
ASK_AGAIN = ("Send new code", "request a verification code first")

# (newer_than, within, skip) -> (message number, code): the newest code in the person's mailbox
# or phone after message ``newer_than``, other than the messages in ``skip``.
Inbox = Callable[[int, float, frozenset[int]], Awaitable[tuple[int, str]]]


def email_inbox(person: Person, address: str) -> Inbox:
    return lambda newer_than, within, skip: person.mail(address, CODE, newer_than=newer_than, within=within, skip=skip)


def sms_inbox(person: Person, number: str) -> Inbox:
    return lambda newer_than, within, skip: person.sms(number, CODE, newer_than=newer_than, within=within, skip=skip)


@dataclass
class CodeScreen:
    person: Person
    process: str  # "login" or "mfa": the screen's paths
    inbox: Inbox
    seen: int = 0  # messages before this screen's codes (an earlier code, the emailed link)
    typed: set[int] = field(default_factory=set)  # the messages whose codes were typed here
    pressed_at: float = 0.0  # wall clock of the last Send press
    late_after: float = 0.0  # a late typist's code life in seconds; 0: types at once

    async def press_send(self, path: str, body: dict, *, want: str) -> dict:
        """The screen's own Send button (Send verification code, Send Code)."""
        self.pressed_at = time.time()
        return await self.person.submit(path, body, want=want)

    async def enter(self, *, want: str) -> dict:
        """Type codes until one is taken: the view of the screen that follows."""
        code = await self._next_code()
        if self.late_after:
            taken = await self._type_late(code)
            if taken is not None:
                return taken  # the portal took a spent code: the judgement counts it
            await self.send_new_code()
            code = await self._next_code()
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            try:
                return await self.person.submit(f"{self.process}/code/verify", {"code": code}, want=want)
            except Refused as refused:
                error = refused.view.get("errors", {}).get("code", "")
                if not error:
                    raise GaveUp(str(refused)) from None
            if ON_ITS_WAY in error:
                await asyncio.sleep(2)
                continue
            if any(words in error for words in ASK_AGAIN):
                await self.send_new_code()
            code = await self._next_code(within=NEWER_CODE_WAIT)
        raise GaveUp(f"no code was taken on the {self.process} screen within {PATIENCE:.0f} s")

    async def send_new_code(self) -> None:
        """Send new code, pressed again while the cooldown says "please wait"."""
        for _ in range(int(NEWER_CODE_WAIT // 5)):
            self.pressed_at = time.time()
            response = await self.person.call("POST", f"/api/v1/{self.process}/code/send", {})
            if response.status_code == 200 and not response.json().get("errors"):
                return
            await asyncio.sleep(5)
        raise GaveUp(f"Send new code did not send: {response.status_code} {response.text[:200]}")

    async def _next_code(self, within: float = PATIENCE) -> str:
        """The next code to reach the inbox; meanwhile the person watches the screen and asks
        for a new code when it says this one could not be sent or has run out."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                found = await self.inbox(self.seen, GLANCE, frozenset(self.typed))
            except GaveUp:
                if await self._screen_asks_for_a_new_code():
                    await self.send_new_code()
                continue
            number, code = found
            self.typed.add(number)
            return code
        raise GaveUp(f"no new code on the {self.process} screen within {within:.0f} s")

    async def _screen_asks_for_a_new_code(self) -> bool:
        view = await self.person.view(self.process)
        error = view.get("errors", {}).get("code", "")
        if error.startswith(COULD_NOT_SEND) and "in time" in error:
            return True
        status = view.get("code") or {}
        expires_at = status.get("expires_at")
        return bool(status.get("sent") and expires_at and _epoch(expires_at) < time.time() and status.get("can_resend"))

    async def _type_late(self, code: str) -> dict | None:
        """Type ``code`` a second after its life: the next screen's view if it was taken."""
        arrived = time.time() - self.pressed_at
        await asyncio.sleep(max(0.0, self.pressed_at + self.late_after + 1 - time.time()))
        notes = self.person.notes
        notes["late_codes"] = notes.get("late_codes", 0) + 1
        notes["late_arrivals"] = notes.get("late_arrivals", 0) + (arrived > LATE_ARRIVAL)
        response = await self.person.call("POST", f"/api/v1/{self.process}/code/verify", {"code": code})
        view = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code == 200 and not view.get("errors"):
            notes["late_codes_taken"] = notes.get("late_codes_taken", 0) + 1
            return view
        return None


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
