"""Scenario 4: the mail and SMS providers fail while people register and log in: SMTP refuses
every connection while Twilio answers every request with a 500, for two minutes; then both
stall (connections accepted, nothing moves) for another minute; then they recover. Link and
code sends retry within their life and succeed once the provider is back; the screens say "We
could not send…" meanwhile, never a 500; and no code works past its life because a retry
delivered it: late typists type their first code a second after its life and must be refused.

Codes here live a minute (ENROLLMENT_CODE_TTL, which Login with Phone uses too) instead of ten,
so a late typist's wait stays short; Login with Email keeps the guide's 30 seconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random

from provingground.faults import Mode
from provingground.ground import Ground, Size
from provingground.journeys import Registrant
from provingground.outcome import Outcome

TITLE = "4. SMTP refused and Twilio 500s for {provider_outage:.0f} s, then both stalled for half as long"
# (what each provider does, for what share of the outage), one after the other.
FAULTS = (({"smtp": Mode.REFUSE, "twilio": Mode.SERVER_ERROR}, 1.0), ({"smtp": Mode.STALL, "twilio": Mode.STALL}, 0.5))
CODE_LIFE = 60
EMAIL_LOGIN_CODE_LIFE = 30  # settings.login_email_code_ttl's default: the guide's 30 seconds
LATE_EVERY = 5  # every fifth person logging in is a late typist


def app_settings(size: Size) -> dict[str, str]:
    return {"ENROLLMENT_CODE_TTL": f"PT{CODE_LIFE}S"}


async def run(ground: Ground, size: Size) -> Outcome:
    people = await _people(ground, size)
    outage: list[asyncio.Task] = []

    async def on_step(journey: str, step: str) -> None:
        if not outage:  # the load is under way: break the providers now
            outage.append(asyncio.create_task(_outage(ground, size.provider_outage_seconds)))

    load = await ground.load(people, concurrency=size.concurrency, on_step=on_step)
    await asyncio.gather(*outage)
    return await ground.judge(load, faults=sum(len(modes) for modes, _ in FAULTS))


async def _people(ground: Ground, size: Size) -> list[tuple[str, Registrant]]:
    """A quarter of the run's registrations, email logins and phone logins (a quarter of its
    logins again), shuffled; the first of every five of each kind of login a late typist."""
    share = max(2, size.logins // 4)
    email_logins = await ground.returning_users(share)
    phone_logins = await ground.returning_users(share, by_phone=True)
    people = [("registration", who) for who in ground.registrants(max(2, size.registrations // 4))]
    people += [("login", _late(who, EMAIL_LOGIN_CODE_LIFE) if n % LATE_EVERY == 0 else who) for n, who in enumerate(email_logins)]
    people += [("phone_login", _late(who, CODE_LIFE) if n % LATE_EVERY == 0 else who) for n, who in enumerate(phone_logins)]
    random.Random(len(people)).shuffle(people)
    return people


def _late(who: Registrant, life: float) -> Registrant:
    return dataclasses.replace(who, late_after=life)


async def _outage(ground: Ground, seconds: float) -> None:
    proxies = ground.faults
    for modes, share in FAULTS:
        for name, mode in modes.items():
            await proxies[name].set(mode)
        await asyncio.sleep(seconds * share)
    for name in FAULTS[0][0]:
        await proxies[name].set(Mode.PASS)
