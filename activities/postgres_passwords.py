"""Passwords and sign-ins in PostgreSQL: the new password the edge staged for a flow becomes
the account's, and — after a reset — every other way into the account ends, in the same
transaction as the audit row that says so."""

from __future__ import annotations

import asyncpg
from temporalio import activity

from activities.contracts import NewPassword, StagedPassword
from activities.postgres_steps import PostgresSteps, account_uuid, audit_once, flow_detail
from store import remember_me, sessions, staged_passwords
from store.sql import query


class PasswordActivities(PostgresSteps):
    @activity.defn(name="set_account_password")
    async def set_account_password(self, new: NewPassword) -> None:
        await self._update("accounts/set_password", new.account_id, new.password_hash)

    @activity.defn(name="apply_staged_password")
    async def apply_staged_password(self, account_id: str) -> bool:
        """The new password the edge staged for the calling flow becomes the account's; False
        when there is none (it expired, or was staged for another account). The flow is the
        one running this activity, so no flow can apply another's password. Flows since
        AUDITED_WRITES save it with its audit row (``save_staged_password``)."""
        async with self._connection() as conn:
            return await staged_passwords.apply(conn, activity.info().workflow_id, account_uuid(account_id))

    @activity.defn(name="save_staged_password")
    async def save_staged_password(self, saved: StagedPassword) -> bool:
        """``apply_staged_password``, its audit row and, for a reset, the end of every other
        sign-in, all or nothing: no password changes unaudited, or with its old sessions on."""
        user_id = account_uuid(saved.account_id)
        async with self._connection() as conn, conn.transaction():
            if not await staged_passwords.apply(conn, activity.info().workflow_id, user_id):
                return False
            if saved.end_sign_ins:
                await _end_sign_ins(conn, user_id)
            await audit_once(conn, saved.event, subject=user_id, detail=flow_detail())
        return True

    @activity.defn(name="revoke_sign_ins")
    async def revoke_sign_ins(self, account_id: str) -> int:
        """End every session and Remember Me token of the account (after a password or admin
        reset: whoever else was signed in, or remembered, must prove themselves again), and
        every login or enrollment already under way: none of them may finish into a session.
        Returns how many ended; a retry finds nothing left and ends none."""
        async with self._connection() as conn, conn.transaction():
            return await _end_sign_ins(conn, account_uuid(account_id))


async def _end_sign_ins(conn: asyncpg.Connection, user_id) -> int:
    await conn.execute(query("users/end_sign_ins"), user_id)
    ended_sessions = await sessions.revoke_all_for_user(conn, user_id)
    ended_tokens = await remember_me.revoke_all_for_user(conn, user_id)
    detail = flow_detail(sessions=ended_sessions, remember_me_tokens=ended_tokens)
    await audit_once(conn, "sign_ins.revoked", subject=user_id, detail=detail)
    return ended_sessions + ended_tokens
