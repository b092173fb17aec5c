"""What one password check costs on its own: domain.passwords.verify_password (argon2id,
OWASP parameters), a right password against its hash, one after another on a worker thread
as the API runs it. Read against the floor, it says how much of a login is argon2."""

from __future__ import annotations

import asyncio
import secrets

from bench.measure import Flow, Recorder
from domain.passwords import hash_password, verify_password

VERIFICATIONS = 20


def verification_flow() -> Flow:
    password = secrets.token_urlsafe(18)
    password_hash = hash_password(password)

    async def verify(index: int, recorder: Recorder) -> None:
        if not await recorder.step("verify", asyncio.to_thread(verify_password, password_hash, password)):
            raise RuntimeError("verify_password refused the password its hash was made from")

    return verify
