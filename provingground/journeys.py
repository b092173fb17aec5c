"""What a person does through the JSON API: a new provider's registration (organization, user
information, the emailed link, enrollment by email, password, terms), a returning provider's
Login with Email, and one's Login with Phone by SMS. Each step reports itself, so the harness
can break something "after the link email is sent" or "mid-enrollment". A person whose press
was lost presses again; a person who got two copies of a message (a send retried after a crash)
uses the newest; a code that does not come is asked for again (provingground/code_screen.py);
a person the portal signed out at the very end logs in.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from provingground.code_screen import CodeScreen, email_inbox, sms_inbox
from provingground.person import GaveUp, Person

LINK = re.compile(r"https?://\S+/register/confirm\?\S+")
REGISTRATION_STEPS = ("organization", "user_info", "link", "method", "email", "code", "password", "terms")
LOGIN_STEPS = ("start", "password", "send", "code", "continue")
PHONE_LOGIN_STEPS = ("start", "password", "send", "code")
STEPS = {"registration": REGISTRATION_STEPS, "login": LOGIN_STEPS, "phone_login": PHONE_LOGIN_STEPS}
LOGINS = ("login", "phone_login")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Registrant:
    username: str
    email: str
    npi: str
    registration_code: str
    password: str = ""
    phone: str = ""  # the number on record (E.164), for Login with Phone
    # A late typist types their first code a second after this many seconds (its life).
    late_after: float = 0.0

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
    screen = CodeScreen(person, "mfa", email_inbox(person, who.email), seen=link_number)
    await screen.press_send("mfa/email", {"email": who.email}, want="email_code")
    progress("email")
    await screen.enter(want="password")
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
    await _sign_in_with_password(person, who, "email", progress)
    if stop_before == "send":
        return
    screen = CodeScreen(person, "login", email_inbox(person, who.email), seen=mail_seen, late_after=who.late_after)
    await screen.press_send("login/email/send", {}, want="email_code")
    progress("send")
    if stop_before == "code":
        return
    await screen.enter(want="verified")
    progress("code")
    await person.submit("login/continue", {}, want="done")
    progress("continue")
    if not await _signed_in_as(person, who.username):
        raise GaveUp(f"{who.username} finished the login but is not signed in")


async def log_in_by_phone(person: Person, who: Registrant, progress: Progress) -> None:
    """Login with Phone: the password, Send Code, the code from the SMS; that signs in."""
    await _sign_in_with_password(person, who, "phone", progress)
    screen = CodeScreen(person, "login", sms_inbox(person, who.phone), late_after=who.late_after)
    await screen.press_send("login/phone/send", {"channel": "sms"}, want="phone_code")
    progress("send")
    await screen.enter(want="done")
    progress("code")
    if not await _signed_in_as(person, who.username):
        raise GaveUp(f"{who.username} finished the login by phone but is not signed in")


async def _sign_in_with_password(person: Person, who: Registrant, option: str, progress: Progress) -> None:
    button = await person.view(f"login/{option}?remember=false")
    if button.get("signed_in") is not False:
        raise GaveUp(f"Login with {option} answered {button}")
    progress("start")
    await person.submit(f"login/{option}", {"email": who.email, "password": who.password, "remember": False},
                        want=option, status=201)
    progress("password")


async def _open_link(person: Person, email: str) -> int:
    number, link = await person.mail(email, LINK)
    response = await person.follow(link)
    if response.status_code == 303 and response.headers.get("location") == "/mfa":
        return number
    # The first open's answer may have been lost: this browser may already hold the enrollment.
    if response.status_code != 303 and (await person.view("mfa")).get("step") == "method":
        return number
    raise GaveUp(f"the emailed link answered {response.status_code} to {response.headers.get('location')!r}")


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
