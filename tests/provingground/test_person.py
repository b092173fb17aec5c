"""The proving ground's person (provingground/person.py): which answers they press again after,
and which they take as the portal's answer to their press."""

from __future__ import annotations

import httpx

from provingground import person as person_module
from provingground.person import Person, Portal, Tally

THROTTLED = {"step": None, "errors": {"form": "Too many attempts. Please try again in 1 minute."}}
WRONG = {"step": None, "errors": {"form": "Your email address or password is incorrect."}}
TAKEN = {"step": "email", "errors": {}}


def person_answered(*answers: tuple) -> tuple[Person, Tally, list[str]]:
    """A person whose presses the portal answers with ``answers`` (status, body and maybe
    headers), one after the other."""
    queue = list(answers)
    pressed: list[str] = []

    def portal(request: httpx.Request) -> httpx.Response:
        pressed.append(str(request.url))
        status, body, *headers = queue.pop(0)
        return httpx.Response(status, json=body, headers=headers[0] if headers else None)

    tally = Tally()
    http = httpx.AsyncClient(transport=httpx.MockTransport(portal))
    person = Person(Portal(["http://api-1", "http://api-2"], "http://mail", "http://sms"), http, "10.0.0.1", tally, 0)
    return person, tally, pressed


async def test_a_press_told_to_try_again_later_is_pressed_again(monkeypatch):
    # Scenario 2's short run: presses lost to killed APIs counted until the person's address was
    # locked for a minute. A person reads "Please try again in 1 minute", waits and presses again.
    monkeypatch.setattr(person_module, "THROTTLED_PAUSE", 0)
    person, tally, pressed = person_answered((429, THROTTLED), (429, THROTTLED), (201, TAKEN))
    response = await person.call("POST", "/api/v1/login/email", {"email": "a@example.com", "password": "x"})
    assert response.status_code == 201
    assert len(pressed) == 3
    assert tally.answers["429"] == 2
    assert tally.server_errors == []  # a 429 is the portal working as it should


async def test_a_refusal_that_is_not_a_try_again_is_the_answer():
    person, tally, pressed = person_answered((422, WRONG))
    response = await person.call("POST", "/api/v1/login/email", {"email": "a@example.com", "password": "x"})
    assert response.status_code == 422
    assert len(pressed) == 1
    assert not tally.answers


async def test_a_429_with_retry_after_waits_as_long_as_it_says(monkeypatch):
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(person_module.asyncio, "sleep", pause)
    person, tally, pressed = person_answered((429, THROTTLED, {"Retry-After": "37"}), (429, THROTTLED), (201, TAKEN))
    response = await person.call("POST", "/api/v1/login/email", {"email": "a@example.com", "password": "x"})
    assert response.status_code == 201
    # As told; a 429 that does not say (an older portal) waits the person's own pause.
    assert pauses == [37.0, person_module.THROTTLED_PAUSE]
