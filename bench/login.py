"""A returning provider's whole Login with Email through the HTTP API, as a program (or a
browser) would make it: the button, email and password, Send verification code, the code
from the mailbox, Verify code, Continue, signed in. Each login is a different person made
in the database beforehand (bench.login_users), so no two logins share a mailbox or a
per-account throttle; every request comes from 127.0.0.1, so they do share the per-client
ones, and a single refusal fails the run."""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp

from bench.api_calls import browser, check_signed_in, get_json, post_step
from bench.login_users import LoginUser
from bench.measure import Flow, Recorder
from bench.portal import Portal

CONCURRENCY = 50  # fixed by the issue, whatever --concurrency says
STEPS = ("start", "password", "send", "code", "continue")


def login_flow(stack: Portal, users: Sequence[LoginUser], password: str) -> Flow:
    """Login number ``index`` signs ``users[index]`` in."""

    async def flow(index: int, recorder: Recorder) -> None:
        user = users[index]
        credentials = {"email": user.email, "password": password, "remember": False}
        async with browser(stack.api_for(index)) as http:
            await recorder.step("start", _press_login_with_email(http))
            await recorder.step("password", post_step(http, "login/email", credentials, "email", status=201))
            await recorder.step("send", post_step(http, "login/email/send", {}, "email_code"))
            await recorder.step("code", _verify_code(http, stack, user.email))
            await recorder.step("continue", post_step(http, "login/continue", {}, "done"))
            await check_signed_in(http, user.username)

    return flow


async def _press_login_with_email(http: aiohttp.ClientSession) -> None:
    # Remember Me unchecked: the answer must be "sign in with your email address".
    button = await get_json(http, "/api/v1/login/email", {"remember": "false"})
    if button != {"signed_in": False}:
        raise RuntimeError(f"GET /api/v1/login/email: expected not signed in, got {button}")


async def _verify_code(http: aiohttp.ClientSession, stack: Portal, email: str) -> None:
    # Each person gets exactly one email here: the code this login sent.
    code = await stack.mail.code_to(email, 1)
    await post_step(http, "login/code/verify", {"code": code}, "verified")
