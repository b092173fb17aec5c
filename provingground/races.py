"""The races: the same press made at the same moment by many browsers (or twice by one), over
the JSON API, from the harness's process. Each race says what it must leave behind — exactly
one account, one sign-in, one message, one reset flow — and reports it as found in the
database, the mail sink and Temporal, never as the portal's answers describe it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import httpx

from provingground.code_screen import CODE
from provingground.journeys import Registrant, log_in, user_info
from provingground.person import GaveUp, Person, Portal, Refused, Tally
from store import integrity


@dataclass
class RaceResult:
    name: str
    requests: int
    found: int  # accounts, sign-ins, messages, flows: what there must be exactly one of
    detail: str = ""

    @property
    def problem(self) -> str:
        """"lost" when none was made, "duplicated" when more than one, "" when exactly one."""
        return "" if self.found == 1 else "lost" if self.found == 0 else "duplicated"


class Races:
    def __init__(self, portal: Portal, database_url: str, tally: Tally) -> None:
        self._portal = portal
        self._database_url = database_url
        self.tally = tally
        self._clients: list[httpx.AsyncClient] = []
        self._browsers = 0

    async def close(self) -> None:
        for http in self._clients:
            await http.aclose()

    def browser(self) -> Person:
        """A new browser (its own cookies) at its own network address."""
        self._browsers += 1
        http = httpx.AsyncClient(timeout=90, follow_redirects=False)
        self._clients.append(http)
        address = f"10.200.{self._browsers // 256}.{self._browsers % 256}"
        return Person(self._portal, http, address, self.tally, first_api=self._browsers)

    async def one_username(self, racers: int, who: Registrant) -> RaceResult:
        """Many providers' staff pick the same username at the same moment, each with their own email."""
        people = [Registrant(who.username, f"{who.username}-{i}@example.com", who.npi, who.registration_code)
                  for i in range(racers)]
        await self._register_together(people)
        return RaceResult("one username, registered at once", racers, await self._accounts_named([who.username]))

    async def one_email(self, racers: int, who: Registrant) -> RaceResult:
        """The same address given by many registrations at once, each with its own username."""
        people = [Registrant(f"{who.username}-{i}", who.email, who.npi, who.registration_code) for i in range(racers)]
        await self._register_together(people)
        return RaceResult("one email, registered at once", racers, await self._accounts_named([p.username for p in people]))

    async def verify_twice(self, who: Registrant) -> RaceResult:
        """Verify code with the right code, pressed twice at once, then Continue twice at once."""
        person = self.browser()
        await log_in(person, who, lambda step: None, stop_before="code")
        _, code = await person.mail(who.email, CODE)
        await asyncio.gather(*(_quietly(person.call("POST", "/api/v1/login/code/verify", {"code": code})) for _ in range(2)))
        await asyncio.gather(*(_quietly(person.call("POST", "/api/v1/login/continue", {})) for _ in range(2)))
        conn = await asyncpg.connect(self._database_url)
        try:
            live = (await integrity.live_sessions_of(conn, [who.username])).get(who.username, 0)
        finally:
            await conn.close()
        return RaceResult("right code verified twice at once", 4, live, "live sessions after both Continues")

    async def send_twice(self, who: Registrant) -> RaceResult:
        """Send Code double-clicked: both presses reach the portal together."""
        person = self.browser()
        before = await _messages_to(person, who.email)
        await log_in(person, who, lambda step: None, stop_before="send")
        await asyncio.gather(*(_quietly(person.call("POST", "/api/v1/login/email/send", {})) for _ in range(2)))
        await asyncio.sleep(5)  # time for a second message to arrive, if one was sent
        return RaceResult("Send Code double-clicked", 2, await _messages_to(person, who.email) - before, "code messages")

    async def reset_together(self, admins: list[Registrant], target_id: str, count_flows: Callable[[], Awaitable[int]]) -> RaceResult:
        """Two provider administrators press Reset Registration for one user at the same moment."""
        signed_in = [self.browser() for _ in admins]
        for person, admin in zip(signed_in, admins):
            await log_in(person, admin, lambda step: None)
        path = f"/api/v1/manage-users/{target_id}/reset-registration"
        await asyncio.gather(*(_quietly(person.call("POST", path, {})) for person in signed_in))
        return RaceResult("two admins reset one user at once", len(admins), await count_flows(), "running reset flows")

    async def _register_together(self, people: list[Registrant]) -> None:
        browsers = [self.browser() for _ in people]
        # Everyone is on the user information screen first; then all press Next together.
        await asyncio.gather(*(
            b.submit("registration", {"npi": p.npi, "registration_code": p.registration_code}, want="user_info", status=201)
            for b, p in zip(browsers, people)
        ))
        await asyncio.gather(*(_quietly(b.call("POST", "/api/v1/registration/user-info", user_info(p)))
                               for b, p in zip(browsers, people)))

    async def _accounts_named(self, usernames: list[str]) -> int:
        conn = await asyncpg.connect(self._database_url)
        try:
            return len(await integrity.account_status(conn, usernames))
        finally:
            await conn.close()


async def _quietly(press: Awaitable[object]) -> None:
    """A racing press: whatever it answers is tallied by the person; a refusal is expected."""
    try:
        await press
    except (GaveUp, Refused):
        pass


async def _messages_to(person: Person, email: str) -> int:
    try:
        number, _ = await person.mail(email, CODE, within=0)
    except GaveUp:
        return 0
    return number
