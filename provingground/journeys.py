"""What a person does through the JSON API: a new provider's registration (organization, user
information, the emailed link, enrollment by email, password, terms) and a returning
provider's Login with Email. Each step reports itself, so the harness can break something
"after the link email is sent" or "mid-enrollment". A person whose press was lost presses
again; a person who got two copies of a message (a send retried after a crash) uses the
newest; a person the portal signed out at the very end logs in.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from provingground.person import GaveUp, Person, Refused

LINK = re.compile(r"https?://\S+/register/confirm\?\S+")
CODE = re.compile(r"verification code is: (\d{6})")
REGISTRATION_STEPS = ("organization", "user_info", "link", "method", "email", "code", "password", "terms")
LOGIN_STEPS = ("start", "password", "send", "code", "continue")
# How long a person waits for a newer message after a code was refused before giving up.
NEWER_CODE_WAIT = 90

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Registrant:
    username: str
    email: str
    npi: str
    registration_code: str
    password: str = ""

    @classmethod
    def named(cls, name: str, npi: str, registration_code: str) -> "Registrant":
        return cls(name, f"{name}@example.com", npi, registration_code, secrets.token_urlsafe(18))


async def register(person: Person, who: Registrant, progress: Progress) -> None:
    await person.submit("registration", {"npi": who.npi, "registration_code": who.registration_code},
                        want="user_info", status=201)
    progress("organization")
    await person.submit("registration/user-info", user_info(who), want="check_email")
    progress("user_info")
    link_number = await _open_link(person, who.email)
    progress("link")
    await person.submit("mfa/method", {"method": "email"}, want="email")
    progress("method")
    await person.submit("mfa/email", {"email": who.email}, want="email_code")
    progress("email")
    await _enter_code(person, who.email, "mfa/code/verify", "password", newer_than=link_number)
    progress("code")
    await person.submit("mfa/password", {"password": who.password, "confirm_password": who.password}, want="terms")
    progress("password")
    await person.submit("mfa/terms", {"accepted": True}, want="done")
    progress("terms")
    if not await _signed_in_as(person, who.username):
        # The answer that signed this browser in was lost, and a finished flow signs in once:
        # the person does what the portal then offers, and logs in.
        await log_in(person, who, lambda step: None, mail_seen=await _mail_count(person, who.email))
        if not await _signed_in_as(person, who.username):
            raise GaveUp(f"{who.username} registered but could not sign in")


async def log_in(person: Person, who: Registrant, progress: Progress, *, mail_seen: int = 0, stop_before: str = "") -> None:
    """Login with Email; ``stop_before`` a step leaves the person on that step's screen (the races)."""
    button = await person.view("login/email?remember=false")
    if button.get("signed_in") is not False:
        raise GaveUp(f"Login with Email answered {button}")
    progress("start")
    await person.submit("login/email", {"email": who.email, "password": who.password, "remember": False},
                        want="email", status=201)
    progress("password")
    if stop_before == "send":
        return
    await person.submit("login/email/send", {}, want="email_code")
    progress("send")
    if stop_before == "code":
        return
    await _enter_code(person, who.email, "login/code/verify", "verified", newer_than=mail_seen)
    progress("code")
    await person.submit("login/continue", {}, want="done")
    progress("continue")
    if not await _signed_in_as(person, who.username):
        raise GaveUp(f"{who.username} finished the login but is not signed in")


async def _open_link(person: Person, email: str) -> int:
    number, link = await person.mail(email, LINK)
    response = await person.follow(link)
    if response.status_code == 303 and response.headers.get("location") == "/mfa":
        return number
    # The first open's answer may have been lost: this browser may already hold the enrollment.
    if response.status_code != 303 and (await person.view("mfa")).get("step") == "method":
        return number
    raise GaveUp(f"the emailed link answered {response.status_code} to {response.headers.get('location')!r}")


async def _enter_code(person: Person, email: str, path: str, want: str, *, newer_than: int) -> None:
    number, code = await person.mail(email, CODE, newer_than=newer_than)
    while True:
        try:
            await person.submit(path, {"code": code}, want=want)
            return
        except Refused as refused:
            error = refused.view.get("errors", {}).get("code", "")
            if refused.status == 429 or not error:
                raise GaveUp(str(refused)) from None
        if "Send new code" in error:
            # Expired (an outage outlasted a 30-second code) or spent: the person asks again.
            await _send_new_code(person, path.split("/", 1)[0])
        # Otherwise wrong: the person waits for a newer message and types that.
        number, code = await person.mail(email, CODE, newer_than=number, within=NEWER_CODE_WAIT)


async def _send_new_code(person: Person, process: str) -> None:
    """Send new code, pressed again while the cooldown says "please wait"."""
    for _ in range(NEWER_CODE_WAIT // 5):
        response = await person.call("POST", f"/api/v1/{process}/code/send", {})
        if response.status_code == 200 and not response.json().get("errors"):
            return
        await asyncio.sleep(5)
    raise GaveUp(f"Send new code did not send: {response.status_code} {response.text[:200]}")


async def _signed_in_as(person: Person, username: str) -> bool:
    me = await person.call("GET", "/api/v1/me")
    return me.status_code == 200 and me.json().get("username") == username


async def _mail_count(person: Person, email: str) -> int:
    try:
        number, _ = await person.mail(email, re.compile(""), within=0)
    except GaveUp:
        return 0
    return number


def user_info(who: Registrant) -> dict[str, str]:
    return {
        "username": who.username, "first_name": "Proving", "last_name": "Ground",
        "address1": "777 East Park Drive", "city": "Harrisburg", "state": "PA", "zip_code": "17111",
        "email": who.email, "confirm_email": who.email, "phone": "(717) 564-8288", "fax": "(717) 564-3862",
    }
