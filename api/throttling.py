"""Attempt limits at the edge: one table of policies, and one way to use them.

Every attempt at a secret (a password, a code, a registration code), and every request that
sends an email, is reserved *before* it is checked, on three keys (store.throttles):
- the subject (the typed email or username, the NPI, the account) from this client: a lock
  key, so an attacker gets ``lock`` tries and then waits, while the same person on another
  client — the clinician at their own desk — is not locked out by them;
- the client alone, whatever the subject: a slow-down key, so one office behind one NAT
  address is slowed down, never locked out, by one bad actor among them;
- the subject from every client: a slow-down key, so many clients guessing one account are
  slowed down together.
The three reservations are one transaction: a refusal on any key counts on none. Subjects
reach the table only as keyed digests; a refused attempt is never checked at all.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from api.client_address import client_ip
from api.http_middleware import HttpMiddleware
from domain import digests
from store import throttles
from store.throttles import LockRule, SlowRule


@dataclass(frozen=True)
class Policy:
    name: str  # the keys' prefix
    lock: LockRule  # per subject and client
    client: SlowRule  # per client
    subject: SlowRule  # per subject
    # A success clears the subject's lock key and gives its slots back. Not where every
    # request counts whatever it finds (each one may send an email), nor for the password
    # reset's email code, which is only half the proof: holding the mailbox must not wipe
    # the count of someone who lacks the phone.
    success_forgets: bool = True


_QUARTER = timedelta(minutes=15)
# Client allowances are sized for one office behind one address (about a hundred people):
# in-flight and failed attempts count there, successes are given back.
POLICIES = {
    policy.name: policy
    for policy in (
        # Passwords: Login with Phone / Email, first login.
        Policy("login", LockRule(10, _QUARTER), SlowRule(100), SlowRule(20)),
        Policy("first_login", LockRule(10, _QUARTER), SlowRule(100), SlowRule(20)),
        # A provider administrator confirming a reset of another administrator.
        Policy("admin_password", LockRule(5, _QUARTER), SlowRule(20), SlowRule(10)),
        # "Specify Your Organization": NPI and registration code. A practice's staff share
        # both, and may register together from one office: tries in flight count too.
        Policy("regcode", LockRule(20, _QUARTER), SlowRule(50), SlowRule(50)),
        # "Enter User Information": each "taken" answer says a username exists. A submission
        # that goes through ends its flow's step, and is given back.
        Policy("user_info", LockRule(10, _QUARTER), SlowRule(100), SlowRule(20)),
        # Second factors, on top of each flow's own tries per code.
        Policy("login_code", LockRule(10, _QUARTER), SlowRule(100), SlowRule(20)),
        Policy("enrollment_code", LockRule(10, _QUARTER), SlowRule(100), SlowRule(20)),
        Policy("password_reset_code", LockRule(10, _QUARTER), SlowRule(100), SlowRule(20), success_forgets=False),
        # Requests that email someone (and "having trouble" checks a password): every one counts.
        Policy("password_reset", LockRule(5, _QUARTER), SlowRule(50), SlowRule(5), success_forgets=False),
        Policy("registration_reset", LockRule(5, _QUARTER), SlowRule(50), SlowRule(5), success_forgets=False),
        Policy("help", LockRule(5, _QUARTER), SlowRule(50), SlowRule(5), success_forgets=False),
        # The Kepro LOGIN starts a flow before anyone is known: counted per client (its own
        # subject), only slowed, as a whole office may sign in from one address at 9 o'clock.
        Policy("staff_login", LockRule(1000, _QUARTER), SlowRule(100), SlowRule(100), success_forgets=False),
        # "Sign in with a passkey" likewise: no account is known until the passkey answers.
        Policy("passkey_login", LockRule(1000, _QUARTER), SlowRule(100), SlowRule(100), success_forgets=False),
    )
}


class Throttled(Exception):
    """Too many attempts: this one was not checked, and may be tried again after ``wait``."""

    def __init__(self, wait: timedelta) -> None:
        super().__init__(too_many_attempts(wait))
        self.wait = wait
        self.message = too_many_attempts(wait)


@dataclass(frozen=True)
class Attempt:
    """One reserved attempt. It counts as a failure unless the caller says otherwise."""

    pool: asyncpg.Pool
    policy: Policy
    lock_key: str
    slow_keys: tuple[str, ...]
    # The lock this attempt started on its subject from this client, should it be wrong.
    locks_for: timedelta | None = None

    async def succeeded(self) -> None:
        """It was right: the subject's failures from this client are forgotten (where the
        policy says so) and the slots it took are given back."""
        if not self.policy.success_forgets:
            return
        async with self.pool.acquire() as conn, conn.transaction():
            await throttles.clear(conn, self.lock_key)
            for key in self.slow_keys:
                await throttles.refund(conn, key)

    async def uncounted(self) -> None:
        """It checked nothing (no code was sent yet, the code had expired): not a guess."""
        async with self.pool.acquire() as conn, conn.transaction():
            for key in (self.lock_key, *self.slow_keys):
                await throttles.refund(conn, key)


async def reserve(request: Request, policy: Policy, subject: str) -> Attempt:
    """Reserve an attempt at ``subject`` (what is being tried: an email as typed, a username,
    an account id) from this request's client, after waiting for its slot; Throttled when
    it may not go ahead now."""
    resources = request.app.state.resources
    client = f"{policy.name}:client:{client_ip(request) or 'unknown'}"
    named = f"{policy.name}:subject:{subject_digest(resources.settings.secret_key, policy, subject)}"
    pool = await resources.pool()
    lock_key = f"{named}:{client}"
    async with pool.acquire() as conn, conn.transaction():
        reservation = await throttles.reserve_attempt(conn, lock_key, policy.lock)
        if reservation.refused_for is not None:
            raise Throttled(ask_to_wait(request, reservation.refused_for))
        slots = [
            await throttles.reserve_slot(conn, client, policy.client),
            await throttles.reserve_slot(conn, named, policy.subject),
        ]
        if refused := [slot.wait for slot in slots if slot.refused]:
            raise Throttled(ask_to_wait(request, max(refused)))  # the transaction ends: nothing is counted
    wait = max(slot.wait for slot in slots)
    if wait > timedelta(0):
        await asyncio.sleep(wait.total_seconds())
    return Attempt(pool, policy, lock_key, (client, named), reservation.locks_for)


def subject_digest(secret_key: str, policy: Policy, subject: str) -> str:
    """What a throttle key says about its subject: a keyed digest, never the email itself."""
    key = digests.derive_key(secret_key, digests.THROTTLE_KEY)
    return digests.token_digest(key, f"{policy.name}:{subject.strip().casefold()}")[:32]


def too_many_attempts(wait: timedelta) -> str:
    """In seconds for a short wait (a slow-down slot), in whole minutes for a lock."""
    seconds = _whole_seconds(wait)
    if seconds < 30:
        return f"Too many attempts. Please try again in {seconds} second{'s' if seconds != 1 else ''}."
    minutes = math.ceil(seconds / 60)
    return f"Too many attempts. Please try again in {minutes} minute{'s' if minutes != 1 else ''}."


def ask_to_wait(request: Request, wait: timedelta) -> timedelta:
    """``wait``, noted as what this request's answer, if it is a 429, tells a program in its
    Retry-After header (the longest, where one request was refused twice)."""
    request.state.retry_after = max(_whole_seconds(wait), getattr(request.state, "retry_after", 0))
    return wait


def _whole_seconds(wait: timedelta) -> int:
    """A wait as the words and Retry-After both give it: whole seconds, rounded up, at least 1."""
    return max(1, math.ceil(wait.total_seconds()))


class RetryAfter(HttpMiddleware):
    """A 429 says when to try again in its Retry-After header (RFC 9110, 10.2.3), in the
    seconds its words say in minutes or seconds: the wait ``ask_to_wait`` noted. Other answers
    that show a refusal (a code screen's, with its error) are not told to wait."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The one state dict of this request: routes note the wait in it (request.state).
        state = scope.setdefault("state", {})

        async def send_with_wait(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 429 and "retry_after" in state:
                MutableHeaders(scope=message)["retry-after"] = str(state["retry_after"])
            await send(message)

        await self.app(scope, receive, send_with_wait)
