"""argon2id at the edge runs PASSWORD_HASHES_AT_ONCE at a time in an API process, whatever
comes in at once: a burst of logins waits in line instead of holding 19 MiB and a core each."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from api.password_work import PasswordWork
from domain.passwords import hash_password, verify_password
from tests.api.routes.test_login import sign_in_api
from tests.support.enrolled_users import PASSWORD
from tests.support.password_checks import peak_password_work
from tests.support.temporal import make_settings

WRONG = "Your email address or password is incorrect."


async def test_a_burst_of_logins_checks_one_password_at_a_time(live_app, monkeypatch):
    peak = peak_password_work(monkeypatch)

    async def sign_in(index: int):
        # Other addresses from other clients: no throttle turns any of them away unchecked.
        async with live_app.http() as http:
            headers = {"X-Forwarded-For": f"203.0.113.{index + 1}"}
            return await sign_in_api(http, "email", f"nobody.{index}@example.com", PASSWORD, headers=headers)

    answers = await asyncio.gather(*(sign_in(index) for index in range(8)))
    assert peak() == 1  # PASSWORD_HASHES_AT_ONCE's default
    assert [(a.status_code, a.json()) for a in answers] == [(422, {"errors": {"form": WRONG}})] * 8


async def test_checks_and_hashes_share_the_limit_and_each_gets_its_answer(monkeypatch):
    known = hash_password(PASSWORD)
    peak = peak_password_work(monkeypatch, lasting=0.02)
    work = PasswordWork(2)
    try:
        answers = await asyncio.gather(
            *(work.opens(known, PASSWORD) for _ in range(3)),
            *(work.opens(known, "Not-The-Password-1") for _ in range(3)),
            work.opens(None, PASSWORD),  # no account: a dummy verification, refused
            *(work.hash(f"Fresh-Password-{n}") for n in range(2)),
        )
    finally:
        work.close()
    assert answers[:7] == [True] * 3 + [False] * 4
    assert all(verify_password(made, f"Fresh-Password-{n}") for n, made in enumerate(answers[7:]))
    assert peak() == 2


def test_no_limit_below_one_is_taken():
    with pytest.raises(ValidationError, match="PASSWORD_HASHES_AT_ONCE"):
        make_settings(password_hashes_at_once=0)
