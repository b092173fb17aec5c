"""The proving ground's person at a code screen (provingground/code_screen.py): which code they
type next, as the messages reach their inbox."""

from __future__ import annotations

import pytest

from provingground import code_screen
from provingground.code_screen import CodeScreen
from provingground.person import GaveUp, Refused

WRONG = "The verification code is incorrect. Please try again."
VERIFIED = {"step": "verified"}


class Portal:
    """A person's browser on a screen that takes one code: it refuses every other as wrong."""

    def __init__(self, valid: str) -> None:
        self.valid = valid
        self.typed: list[str] = []

    async def submit(self, path: str, body: dict, *, want: str) -> dict:
        self.typed.append(body["code"])
        if body["code"] != self.valid:
            raise Refused(path, 200, {"step": "email_code", "errors": {"code": WRONG}})
        return VERIFIED

    async def view(self, path: str) -> dict:
        return {"step": "email_code", "errors": {}}


def inbox_of(codes: list[str]) -> code_screen.Inbox:
    """A mailbox holding ``codes`` in the order they arrived (message 1 first)."""

    async def newest(newer_than: int, within: float, skip: frozenset[int] = frozenset()) -> tuple[int, str]:
        for number in range(len(codes), newer_than, -1):
            if number not in skip:
                return number, codes[number - 1]
        raise GaveUp("nothing new")

    return newest


async def test_an_old_code_that_arrives_after_the_new_one_is_refused_and_the_other_message_tried(monkeypatch):
    # The new code (message 1) arrived first; the old one, held up by a stalled provider, after
    # it (message 2). The person types the newest, is told it is wrong, and tries the other.
    monkeypatch.setattr(code_screen, "NEWER_CODE_WAIT", 0.2)
    monkeypatch.setattr(code_screen, "GLANCE", 0.01)
    portal = Portal(valid="222222")
    screen = CodeScreen(portal, "login", inbox_of(["222222", "111111"]))  # type: ignore[arg-type]
    assert await screen.enter(want="verified") == VERIFIED
    assert portal.typed == ["111111", "222222"]


async def test_a_wrong_code_with_no_other_message_waits_for_a_newer_one_and_gives_up(monkeypatch):
    monkeypatch.setattr(code_screen, "NEWER_CODE_WAIT", 0.2)
    monkeypatch.setattr(code_screen, "GLANCE", 0.01)
    portal = Portal(valid="222222")
    screen = CodeScreen(portal, "login", inbox_of(["111111"]))  # type: ignore[arg-type]
    with pytest.raises(GaveUp, match="no new code"):
        await screen.enter(want="verified")
    assert portal.typed == ["111111"]


async def test_messages_before_the_screen_are_never_typed(monkeypatch):
    monkeypatch.setattr(code_screen, "GLANCE", 0.01)
    portal = Portal(valid="333333")
    screen = CodeScreen(portal, "login", inbox_of(["111111", "333333"]), seen=1)  # type: ignore[arg-type]
    assert await screen.enter(want="verified") == VERIFIED
    assert portal.typed == ["333333"]
