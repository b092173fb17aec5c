"""Passkeys in PostgreSQL (store/passkeys.py): a new one checked and saved, a sign-in's answer
checked against the saved public key and counter. The challenge each ceremony signed is
derived here as the edge derived it (domain/passkeys.py); each check and its audit row are
one transaction."""

from __future__ import annotations

import asyncpg
from temporalio import activity
from webauthn.helpers.exceptions import WebAuthnException

from activities.attempts import this_activity
from activities.contracts import PASSKEY_REFUSED, PASSKEY_VERIFIED, PasskeyAnswer, PasskeyOwner
from activities.postgres_steps import PostgresSteps, account_uuid, audit_once, flow_detail
from domain import digests, passkeys
from store import passkeys as stored

# What py_webauthn raises for an answer that fails a check, and what JSON that is no answer raises.
_REFUSALS = (WebAuthnException, ValueError, KeyError, TypeError)


class PasskeyActivities(PostgresSteps):
    def __init__(self, pool: asyncpg.Pool, secret_key: str, public_base_url: str) -> None:
        super().__init__(pool)
        self._challenge_key = digests.derive_key(secret_key, passkeys.CHALLENGE_KEY)
        self._rp = passkeys.RelyingParty.of(public_base_url)

    def all(self) -> list:
        return [self.register_passkey, self.check_passkey, self.check_passkey_first]

    def _challenge(self, ceremony: int) -> bytes:
        return passkeys.challenge(self._challenge_key, activity.info().workflow_id or "", ceremony)

    @activity.defn(name="register_passkey")
    async def register_passkey(self, new: PasskeyAnswer) -> str:
        user_id = account_uuid(new.account_id)
        try:
            if self._rp is None:
                raise ValueError("passkeys need PUBLIC_BASE_URL to name a host, not an IP address")
            passkey = passkeys.verified_new(self._rp, self._challenge(new.ceremony), new.answer)
        except _REFUSALS as refused:
            async with self._connection() as conn:
                await audit_once(conn, "mfa.passkey_refused", subject=user_id, detail=flow_detail(reason=type(refused).__name__))
            return PASSKEY_REFUSED
        async with self._connection() as conn, conn.transaction():
            if not await stored.add(conn, user_id, passkey, new.name or "Passkey", this_activity()):
                await audit_once(conn, "mfa.passkey_refused", subject=user_id, detail=flow_detail(reason="registered already"))
                return PASSKEY_REFUSED
            if new.as_method:
                await self._update("accounts/complete_mfa", str(user_id), "passkey", None, conn=conn)
            detail = flow_detail(method="passkey", backed_up=str(passkey.backed_up).lower())
            await audit_once(conn, "mfa.registered" if new.as_method else "mfa.passkey_added", subject=user_id, detail=detail)
        return PASSKEY_VERIFIED

    @activity.defn(name="check_passkey")
    async def check_passkey(self, use: PasskeyAnswer) -> str:
        user_id = account_uuid(use.account_id)
        credential_id = passkeys.credential_id_of(use.answer)
        by = this_activity()
        async with self._connection() as conn, conn.transaction():
            saved = await stored.for_check(conn, user_id, credential_id) if credential_id else None
            if saved is not None and saved.last_used_by == by:
                return PASSKEY_VERIFIED  # this step's own retry: its first attempt committed
            try:
                if saved is None or self._rp is None:
                    raise ValueError("no such passkey for this account")
                count = passkeys.verified_use(self._rp, self._challenge(use.ceremony), use.answer, saved.public_key, saved.sign_count)
            except _REFUSALS as refused:
                # A counter that did not move on (a copied authenticator, a replayed answer) lands here too.
                await audit_once(conn, "login.passkey_refused", subject=user_id, detail=flow_detail(reason=type(refused).__name__))
                return PASSKEY_REFUSED
            await stored.used(conn, user_id, credential_id, count, by)
            await audit_once(conn, "login.passkey_used", subject=user_id, detail=flow_detail())
        return PASSKEY_VERIFIED

    @activity.defn(name="check_passkey_first")
    async def check_passkey_first(self, use: PasskeyAnswer) -> PasskeyOwner:
        """A sign-in with a passkey alone: the answer names the passkey, the passkey its
        account (an active one); the owner when every check holds."""
        credential_id = passkeys.credential_id_of(use.answer)
        by = this_activity()
        async with self._connection() as conn, conn.transaction():
            saved = await stored.owner_for_check(conn, credential_id) if credential_id else None
            if saved is not None and saved.last_used_by == by:
                return PasskeyOwner(str(saved.user_id), saved.email)  # this step's own retry
            try:
                if saved is None or saved.status != "active" or self._rp is None:
                    raise ValueError("no passkey of an active account")
                if passkeys.user_handle_of(use.answer) not in (None, saved.user_id.bytes):
                    raise ValueError("the answer names another account")
                count = passkeys.verified_use(self._rp, self._challenge(use.ceremony), use.answer, saved.public_key, saved.sign_count)
            except _REFUSALS as refused:
                subject = saved.user_id if saved is not None else None
                await audit_once(conn, "login.passkey_refused", subject=subject, detail=flow_detail(reason=type(refused).__name__))
                return PasskeyOwner()
            await stored.used(conn, saved.user_id, credential_id, count, by)
            await audit_once(conn, "login.passkey_used", subject=saved.user_id, detail=flow_detail(mode="passkey_first"))
        return PasskeyOwner(str(saved.user_id), saved.email)
