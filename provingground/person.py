"""One person at a browser, as the load generator plays them: their own cookies and network
address, and the patience of someone who presses the button again when the portal says "try
again" (a 503, or a 429 "Too many attempts. Please try again in …") or the page does not
load. Either API replica may answer (a load balancer's choice);
when one does not, the next press goes to the other. Whatever the portal answers is tallied:
a 5xx other than the 503 "try again" page is a server error, whatever the retry then did.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

PATIENCE = 240.0  # seconds one screen may take, retries included, before the person gives up
RETRY_PAUSE = 1.0
# "Too many attempts. Please try again in …": the person waits as long as the answer's
# Retry-After says, or this long where it says nothing, and presses again. A refused press
# counts on no throttle key (api/throttling.py), so waiting is all it costs.
THROTTLED_PAUSE = 5.0
MAIL_POLL = 0.25
RELOAD_PATIENCE = 30.0  # how long a person reloads a screen that did not move on
# How a screen says a message is late or did not go (workflows/deliveries.py, code_challenge.py).
COULD_NOT_SEND = "We could not send"


class GaveUp(Exception):
    """The person could not get past a screen: their flow counts as lost."""


@dataclass
class Tally:
    answers: Counter = field(default_factory=Counter)  # "503", "connection", "429", ...
    server_errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"answers": dict(self.answers), "server_errors": self.server_errors}


@dataclass(frozen=True)
class Portal:
    api_urls: list[str]
    mail_url: str
    sandbox_url: str


class Person:
    def __init__(self, portal: Portal, http: httpx.AsyncClient, address: str, tally: Tally, first_api: int) -> None:
        self._portal = portal
        self._http = http
        self._headers = {"X-Forwarded-For": address}
        self._tally = tally
        self._api = first_api % len(portal.api_urls)
        # What this person met that the judgement counts (provingground/code_screen.py).
        self.notes: dict[str, int] = {}

    async def call(self, method: str, path: str, body: Any = None, *, params: dict | None = None) -> httpx.Response:
        """One screen's request, pressed again until the portal gives an answer that is not an
        outage or a "try again in …" (429). Other 4xx answers are answers: the caller reads them."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PATIENCE
        while True:
            url = self._portal.api_urls[self._api] + path
            pause = RETRY_PAUSE
            try:
                response = await self._http.request(method, url, json=body, params=params, headers=self._headers)
            except httpx.TransportError as error:
                self._tally.answers["connection"] += 1
                self._api = (self._api + 1) % len(self._portal.api_urls)
                last = f"{type(error).__name__} from {url}"
            else:
                if response.status_code == 429:
                    pause = _told_to_wait(response)
                elif response.status_code < 500:
                    return response
                elif response.status_code != 503:
                    self._tally.server_errors.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
                self._tally.answers[str(response.status_code)] += 1
                last = f"{response.status_code} from {method} {path}"
            if loop.time() > deadline:
                raise GaveUp(f"{method} {path}: still {last} after {PATIENCE:.0f} s")
            # Told to wait past their patience (an hour's lock), the person tries once more at its end.
            await asyncio.sleep(min(pause, deadline - loop.time() + RETRY_PAUSE))

    async def submit(self, path: str, body: Any, *, want: str, status: int = 200) -> dict:
        """POST a screen; the flow's view, which must show step ``want``. When the answer
        says otherwise, the person reloads the page for a while, as people do: an earlier
        press may have gone through with its answer lost, and its screen is the one to go on."""
        response = await self.call("POST", f"/api/v1/{path}", body)
        view = self._saw(_json(response))
        if response.status_code in (status, 200, 201) and view.get("step") == want:
            return view
        if want == "done" and response.status_code == 409:
            # The flow is complete: this browser is signed in already (the answer that did it
            # was lost on the way), or its sign-in was claimed. The journey checks which.
            return view
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RELOAD_PATIENCE
        process = path.split("/", 1)[0]
        while process != path and loop.time() < deadline:  # a flow's first screen has nothing to reload
            reloaded = await self.call("GET", f"/api/v1/{process}")
            if reloaded.status_code == 200 and self._saw(_json(reloaded)).get("step") == want:
                return _json(reloaded)
            await asyncio.sleep(RETRY_PAUSE)
        raise Refused(path, response.status_code, view)

    async def view(self, path: str) -> dict:
        return self._saw(_json(await self.call("GET", f"/api/v1/{path}")))

    def _saw(self, view: dict) -> dict:
        """Tallies a screen that says a message could not be sent (yet)."""
        errors = view.get("errors")
        said = [view.get("notice"), *(errors.values() if isinstance(errors, dict) else [])]
        if any(isinstance(text, str) and text.startswith(COULD_NOT_SEND) for text in said):
            self._tally.answers["could not send"] += 1
        return view

    async def follow(self, link: str) -> httpx.Response:
        """Open an emailed link in this browser, on whichever API answers."""
        path = re.sub(r"^https?://[^/]+", "", link)
        return await self.call("GET", path)

    # --- the person's inbox and phone (read directly: the harness's view, never faulted) ---
    async def mail(
        self, address: str, pattern: re.Pattern, *, newer_than: int = 0, within: float = PATIENCE, skip: frozenset[int] = frozenset(),
    ) -> tuple[int, str]:
        """The newest message to ``address`` after id ``newer_than``, and not one of ``skip``, whose
        text matches: its id and match."""
        return await self._poll(f"{self._portal.mail_url}/api/messages", address, "text", pattern, newer_than, within, skip)

    async def sms(
        self, number: str, pattern: re.Pattern, *, newer_than: int = 0, within: float = PATIENCE, skip: frozenset[int] = frozenset(),
    ) -> tuple[int, str]:
        return await self._poll(f"{self._portal.sandbox_url}/api/messages", number, "body", pattern, newer_than, within, skip)

    async def _poll(
        self, url: str, to: str, part: str, pattern: re.Pattern, newer_than: int, within: float, skip: frozenset[int],
    ) -> tuple[int, str]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            # Oldest first: a message's number is its place among those to this address.
            answer = await self._http.get(url, params={"to": to})
            answer.raise_for_status()  # a sink that is not there is the harness's fault, said as such
            messages = list(reversed(answer.json()))
            for number in range(len(messages), newer_than, -1):  # the newest that matches
                if number in skip:
                    continue
                if match := pattern.search(messages[number - 1][part]):
                    return number, match.group(1 if pattern.groups else 0)
            if loop.time() > deadline:
                raise GaveUp(f"no message to {to} matching {pattern.pattern!r} within {within:.0f} s")
            await asyncio.sleep(MAIL_POLL)


class Refused(Exception):
    """The portal answered the screen, but not by moving on: the caller decides what a person does."""

    def __init__(self, path: str, status: int, view: dict) -> None:
        super().__init__(f"POST /api/v1/{path}: {status}, step {view.get('step')!r}, errors {view.get('errors')}")
        self.status, self.view = status, view


def _told_to_wait(response: httpx.Response) -> float:
    """A 429's Retry-After, in seconds; the person's own pause where it says none."""
    told = response.headers.get("retry-after", "")
    return float(told) if told.isdigit() else THROTTLED_PAUSE


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.text[:200]}
    return body if isinstance(body, dict) else {"body": body}
