"""The authenticator and passkey activities, faked under their real names: one app secret per
account in memory, checked with the real domain code, so a test types what pyotp shows for
it; passkeys that accept ``signed(ceremony)`` for the ceremony the flow asked about, only."""

from __future__ import annotations

import asyncio
import time

import pyotp
from temporalio import activity

from activities.contracts import APP_CODE_USED, APP_CODE_VERIFIED, APP_CODE_WRONG, PASSKEY_REFUSED, PASSKEY_VERIFIED
from activities.contracts import AppCode, PasskeyAnswer, PasskeyOwner, RecoveryCode, RecoveryCodeUsed
from domain import authenticator_app, digests


class FakeAuthenticator:
    def __init__(self, secret_key: str) -> None:
        self.code_key = digests.derive_key(secret_key, digests.CODE_KEY)
        self.pending: dict[str, str] = {}  # account id -> secret being set up
        self.in_use: dict[str, str] = {}
        self.last_step: dict[str, int] = {}
        self.recovery_digests: dict[str, set[str]] = {}  # account id -> unused codes' digests
        self.calls: list[tuple[str, object]] = []
        self.passkeys: dict[str, list[str]] = {}  # account id -> its passkeys' names
        # When set to an unset Event, each recovery code's check stays in flight until it is set.
        self.hold_recovery_checks: asyncio.Event | None = None
        self.checking_recovery_code = asyncio.Event()

    def code(self, account_id: str) -> str:
        """What the person's app shows now: for the app being set up, else the one in use."""
        return pyotp.TOTP(self.pending.get(account_id) or self.in_use[account_id]).now()

    def activities(self) -> list:
        @activity.defn(name="stage_authenticator_app")
        async def stage_authenticator_app(account_id: str) -> None:
            self.calls.append(("stage_authenticator_app", account_id))
            self.pending[account_id] = authenticator_app.new_secret()

        @activity.defn(name="check_app_code")
        async def check_app_code(typed: AppCode) -> str:
            self.calls.append(("check_app_code", typed))
            secret = (self.pending if typed.setting_up else self.in_use).get(typed.account_id)
            flow = activity.info().workflow_id
            found = authenticator_app.matching_step if secret else None
            step = found(secret, self.code_key, flow, typed.code_digest, time.time()) if found else None
            if step is None:
                return APP_CODE_WRONG
            if typed.setting_up:
                self.in_use[typed.account_id] = self.pending.pop(typed.account_id)
            elif step <= self.last_step.get(typed.account_id, 0):
                return APP_CODE_USED
            self.last_step[typed.account_id] = step
            return APP_CODE_VERIFIED

        @activity.defn(name="use_recovery_code")
        async def use_recovery_code(typed: RecoveryCode) -> RecoveryCodeUsed:
            self.calls.append(("use_recovery_code", typed))
            self.checking_recovery_code.set()
            if self.hold_recovery_checks is not None:
                await self.hold_recovery_checks.wait()
            unused = self.recovery_digests.get(typed.account_id, set())
            if typed.code_digest not in unused:
                return RecoveryCodeUsed(accepted=False)
            unused.remove(typed.code_digest)
            return RecoveryCodeUsed(accepted=True, left=len(unused))

        @activity.defn(name="register_passkey")
        async def register_passkey(new: PasskeyAnswer) -> str:
            self.calls.append(("register_passkey", new))
            if new.answer != signed(new.ceremony):
                return PASSKEY_REFUSED
            self.passkeys.setdefault(new.account_id, []).append(new.name)
            return PASSKEY_VERIFIED

        @activity.defn(name="check_passkey")
        async def check_passkey(use: PasskeyAnswer) -> str:
            self.calls.append(("check_passkey", use))
            known = self.passkeys.get(use.account_id)
            return PASSKEY_VERIFIED if known and use.answer == signed(use.ceremony) else PASSKEY_REFUSED

        @activity.defn(name="check_passkey_first")
        async def check_passkey_first(use: PasskeyAnswer) -> PasskeyOwner:
            self.calls.append(("check_passkey_first", use))
            owner = next(iter(self.passkeys), "")
            accepted = owner and use.answer == signed(use.ceremony)
            return PasskeyOwner(owner, f"{owner}@example.com") if accepted else PasskeyOwner()

        return [stage_authenticator_app, check_app_code, use_recovery_code, register_passkey, check_passkey, check_passkey_first]


def signed(ceremony: int) -> str:
    """What the fake passkey activities take as a browser's answer for ``ceremony``: a stand-in
    for a signature over that ceremony's challenge, good for no other."""
    return f'{{"signed": {ceremony}}}'
