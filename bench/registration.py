"""A new provider's whole registration through the HTTP API, as a program (or a browser)
would make it: organization, user information, the emailed link, then MFA enrollment by
email — method, address, code, password, terms — ending signed in. Every answer is checked:
a benchmark that counted errors as registrations would measure nothing."""

from __future__ import annotations

import re
import secrets
import time
import uuid

import aiohttp

from bench.api_calls import browser, check_signed_in, post_step
from bench.measure import Flow, Recorder
from bench.portal import Portal

CONCURRENCY = 20  # fixed by the issue, whatever --concurrency says
STEPS = ("organization", "user_info", "link", "method", "email", "code", "password", "terms")
LINK = re.compile(r"https?://\S+/register/confirm\?\S+")


def registration_flow(stack: Portal) -> Flow:
    """Registrations by people named for this flow and their index: usernames never repeat."""
    run = uuid.uuid4().hex[:8]

    async def flow(index: int, recorder: Recorder) -> None:
        name = f"bench-{run}-{index}"
        email = f"{name}@example.com"
        organization = {"npi": stack.npi, "registration_code": stack.registration_code}
        password = secrets.token_urlsafe(18)  # random: zxcvbn's strength check passes it
        passwords = {"password": password, "confirm_password": password}
        async with browser(stack.api_for(index)) as http:
            await recorder.step("organization", post_step(http, "registration", organization, "user_info", status=201))
            user_info = _user_info(name, email)
            await recorder.step("user_info", post_step(http, "registration/user-info", user_info, "check_email"))
            await recorder.step("link", _open_link(http, stack, email))
            await recorder.step("method", post_step(http, "mfa/method", {"method": "email"}, "email"))
            await recorder.step("email", post_step(http, "mfa/email", {"email": email}, "email_code"))
            await recorder.step("code", _verify_code(http, stack, email))
            await recorder.step("password", post_step(http, "mfa/password", passwords, "terms"))
            await recorder.step("terms", post_step(http, "mfa/terms", {"accepted": True}, "done"))
            await check_signed_in(http, name)

    return flow


def _user_info(username: str, email: str) -> dict[str, str]:
    return {
        "username": username,
        "first_name": "Bench",
        "last_name": "Registrant",
        "address1": "777 East Park Drive",
        "city": "Harrisburg",
        "state": "PA",
        "zip_code": "17111",
        "email": email,
        "confirm_email": email,
        "phone": "(717) 564-8288",
        "fax": "(717) 564-3862",
    }


async def _open_link(http: aiohttp.ClientSession, stack: Portal, email: str) -> None:
    message = await stack.mail.message_to(email, 1)
    link = LINK.search(message["text"])
    if link is None:
        raise RuntimeError(f"no registration link in the first email to {email}")
    # The link names the first API (PUBLIC_BASE_URL); the person's browser goes to its own.
    sent = time.monotonic()
    async with http.get(re.sub(r"^https?://[^/]+", "", link.group()), allow_redirects=False) as response:
        status, location = response.status, response.headers.get("location")
    if status != 303 or location != "/mfa":
        # How long it took tells a refused link from a handler that gave up waiting.
        answer = f"{status} to {location!r} after {time.monotonic() - sent:.1f} s"
        raise RuntimeError(f"the emailed link answered {answer}, not 303 to '/mfa'")


async def _verify_code(http: aiohttp.ClientSession, stack: Portal, email: str) -> None:
    # The first email to the address carried the link; the second carries the code.
    code = await stack.mail.code_to(email, 2)
    await post_step(http, "mfa/code/verify", {"code": code}, "password")
