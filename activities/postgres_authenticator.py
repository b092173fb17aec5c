"""The authenticator app and recovery codes, in PostgreSQL (store/authenticator_apps.py,
store/recovery_codes.py): a new app's secret sealed for its setup, a typed code checked
against the sealed secret, a recovery code spent. The secret is made, sealed and opened
here, on the worker; only the typed code's keyed digest comes from the flow, and nothing
secret goes back to it. Each check and its audit row are one transaction."""

from __future__ import annotations

import time

import asyncpg
from temporalio import activity

from activities.attempts import this_activity
from activities.contracts import APP_CODE_USED, APP_CODE_VERIFIED, APP_CODE_WRONG, AppCode, RecoveryCode, RecoveryCodeUsed
from activities.postgres_steps import PostgresSteps, account_uuid, audit_once, flow_detail
from domain import authenticator_app, digests
from store import authenticator_apps, recovery_codes


class AuthenticatorActivities(PostgresSteps):
    def __init__(self, pool: asyncpg.Pool, secret_key: str) -> None:
        super().__init__(pool)
        self._seal_key = digests.derive_key(secret_key, authenticator_app.SEAL_KEY)
        self._code_key = digests.derive_key(secret_key, digests.CODE_KEY)

    def all(self) -> list:
        return [self.stage_authenticator_app, self.check_app_code, self.use_recovery_code]

    @activity.defn(name="stage_authenticator_app")
    async def stage_authenticator_app(self, account_id: str) -> None:
        """A new secret for the app being set up, pending until a code from it is typed. The
        setup screen reads it from here (api/authenticator_setup.py); the flow never sees it."""
        user_id = account_uuid(account_id)
        sealed = authenticator_app.seal(self._seal_key, str(user_id), authenticator_app.new_secret())
        async with self._connection() as conn:
            await authenticator_apps.stage(conn, user_id, sealed)

    @activity.defn(name="check_app_code")
    async def check_app_code(self, typed: AppCode) -> str:
        """APP_CODE_VERIFIED, APP_CODE_WRONG, or APP_CODE_USED for a right code whose time step
        an earlier check accepted (a code seen over a shoulder, or typed twice)."""
        user_id = account_uuid(typed.account_id)
        by = this_activity()
        async with self._connection() as conn, conn.transaction():
            app = await authenticator_apps.for_check(conn, user_id)
            if typed.setting_up and app is not None and app.pending_sealed is None and app.last_used_by == by:
                return APP_CODE_VERIFIED  # this step's own retry: its first attempt confirmed the app
            sealed = None if app is None else (app.pending_sealed if typed.setting_up else app.secret_sealed)
            if app is None or sealed is None:
                return APP_CODE_WRONG
            secret = authenticator_app.unseal(self._seal_key, str(user_id), sealed)
            flow = activity.info().workflow_id or ""
            step = authenticator_app.matching_step(secret, self._code_key, flow, typed.code_digest, time.time())
            if step is None:
                return APP_CODE_WRONG
            if typed.setting_up:
                await authenticator_apps.confirm(conn, user_id, step, by)
                await self._update("accounts/complete_mfa", str(user_id), "app", None, conn=conn)
                await audit_once(conn, "mfa.registered", subject=user_id, detail=flow_detail(method="app"))
                return APP_CODE_VERIFIED
            # This activity's own retry (its first attempt committed, then its worker died)
            # finds the step spent by itself: still a pass.
            retried = app.last_used_step == step and app.last_used_by == by
            if not retried and not await authenticator_apps.spend_step(conn, user_id, step, by):
                await audit_once(conn, "login.app_code_reused", subject=user_id, detail=flow_detail())
                return APP_CODE_USED
            await audit_once(conn, "login.app_code_used", subject=user_id, detail=flow_detail())
        return APP_CODE_VERIFIED

    @activity.defn(name="use_recovery_code")
    async def use_recovery_code(self, typed: RecoveryCode) -> RecoveryCodeUsed:
        user_id = account_uuid(typed.account_id)
        async with self._connection() as conn, conn.transaction():
            if not await recovery_codes.spend(conn, user_id, typed.code_digest, this_activity()):
                return RecoveryCodeUsed(accepted=False)
            left = (await recovery_codes.left(conn, user_id)).left
            await audit_once(conn, "login.recovery_code_used", subject=user_id, detail=flow_detail(left=str(left)))
        return RecoveryCodeUsed(accepted=True, left=left)
