"""Account changes the registration and enrollment flows make in PostgreSQL.

The database decides what is unique: a taken username or email comes back as an Outcome for
the person's screen, never as an error. A value the schema refuses is a bug upstream and
fails the activity for good; a lost connection raises, and Temporal retries.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import AccountProgress, AdminResetEnded, AdminResetRequested, AuditEntry, EmailToVerify
from activities.contracts import MfaChoice, NewAccount, Outcome, TermsAccepted
from activities.postgres_passwords import PasswordActivities
from activities.postgres_steps import ACCOUNT_NOT_FOUND, account_uuid, audit_once, flow_detail, invalid
from store import admin_resets
from store.sql import query

USERNAME_TAKEN = Outcome(field="username", error="This username is already taken. Please choose another.")
EMAIL_IN_USE = Outcome(field="email", error="This email address is already used by another account.")

# What "Enter User Information" says when the schema refuses a value. The edge checks these
# first; should the two ever disagree, the person still gets a message, not a failed step.
_REFUSED_NEW_ACCOUNT = {
    "users_username_unique": USERNAME_TAKEN,
    "users_username_shape": Outcome("", "username", "Enter a username of up to 100 characters, without spaces."),
    "users_names_present": Outcome("", "first_name", "Enter your first and last name."),
    "users_state_is_2_letters": Outcome("", "state", "Choose a state."),
    "users_zip_is_5_or_9_digits": Outcome("", "zip_code", "Enter a 5-digit ZIP code or ZIP+4."),
    "users_phone_is_us_e164": Outcome("", "phone", "Enter a 10-digit US phone number; extensions are not supported."),
    "users_fax_is_us_e164": Outcome("", "fax", "Enter a 10-digit US fax number; extensions are not supported."),
}


class AccountActivities(PasswordActivities):
    def all(self) -> list:
        return [
            self.create_pending_account,
            self.release_pending_account,
            self.expire_unverified_account,
            self.verify_account_email,
            self.set_account_password,
            self.apply_staged_password,
            self.save_staged_password,
            self.complete_mfa_registration,
            self.accept_terms,
            self.revoke_sign_ins,
            self.record_audit,
            self.find_registration_account,
            self.account_progress,
            self.clear_mfa_registration,
            self.mark_admin_reset_pending,
            self.mark_admin_reset_ended,
        ]

    @activity.defn(name="create_pending_account")
    async def create_pending_account(self, account: NewAccount) -> Outcome:
        flow = activity.info().workflow_id or ""
        async with self._connection() as conn:
            try:
                account_id = await _insert_pending(conn, account, flow)
            except asyncpg.UniqueViolationError as exc:
                # A retry whose first attempt committed but whose reply was lost finds its own work.
                earlier = await conn.fetchval(
                    query("accounts/pending_created_by_flow"),
                    account.username, account.provider_id, account.email, flow,
                )
                if earlier is not None:
                    return Outcome(account_id=str(earlier))
                if exc.constraint_name == "users_email_unique":
                    unverified = await conn.fetchval(query("accounts/email_holder"), account.email)
                    return Outcome(email_holder="unverified" if unverified else "account")
                return _refusal(exc)
            except asyncpg.CheckViolationError as exc:
                return _refusal(exc)
        return Outcome(account_id=str(account_id))

    @activity.defn(name="release_pending_account")
    async def release_pending_account(self, account_id: str) -> None:
        """Delete an account whose registration never finished; an active account, or one
        already released (a retry), is left as it is."""
        user_id = account_uuid(account_id)
        async with self._connection() as conn, conn.transaction():
            if await conn.fetchval(query("accounts/release_pending"), user_id) is not None:
                detail = flow_detail()
                await audit_once(conn, "registration.account_released", subject=user_id, detail=detail)

    @activity.defn(name="expire_unverified_account")
    async def expire_unverified_account(self, account_id: str) -> bool:
        """Release a registration's account that never verified its email (its username and
        address are free again); True when it was released. A verified or active one stays."""
        user_id = account_uuid(account_id)
        async with self._connection() as conn, conn.transaction():
            released = await conn.fetchval(query("accounts/expire_unverified"), user_id) is not None
            if released:
                detail = flow_detail()
                await audit_once(conn, "registration.account_released", subject=user_id, detail=detail)
        return released

    @activity.defn(name="verify_account_email")
    async def verify_account_email(self, verified: EmailToVerify) -> Outcome:
        if "@" not in verified.email:
            raise invalid("Only an email address can be verified.")
        try:
            async with self._connection() as conn, conn.transaction():
                await self._update("accounts/verify_email", verified.account_id, verified.email, conn=conn)
                if verified.audited:
                    detail = flow_detail()
                    await audit_once(conn, "mfa.email_verified", subject=account_uuid(verified.account_id), detail=detail)
        except asyncpg.UniqueViolationError:
            return EMAIL_IN_USE  # another account holds the address: nothing written, nothing audited
        return Outcome(account_id=verified.account_id)

    @activity.defn(name="complete_mfa_registration")
    async def complete_mfa_registration(self, choice: MfaChoice) -> None:
        if choice.method not in ("phone", "email"):
            raise invalid(f"Unknown MFA method {choice.method!r}.")
        if choice.method == "phone" and not choice.phone:
            raise invalid("The phone method needs the verified phone number.")
        async with self._connection() as conn, conn.transaction():
            await self._update("accounts/complete_mfa", choice.account_id, choice.method, choice.phone, conn=conn)
            if choice.audited:
                detail = flow_detail(method=choice.method)
                await audit_once(conn, "mfa.registered", subject=account_uuid(choice.account_id), detail=detail)

    @activity.defn(name="accept_terms")
    async def accept_terms(self, accepted: TermsAccepted) -> None:
        if not accepted.version.strip():
            raise invalid("Accepting the Terms of Use needs their version.")
        await self._update("accounts/accept_terms", accepted.account_id, accepted.version)

    @activity.defn(name="record_audit")
    async def record_audit(self, entry: AuditEntry) -> None:
        subject = account_uuid(entry.subject) if entry.subject else None
        async with self._connection() as conn:
            await audit_once(conn, entry.event, subject=subject, detail=dict(entry.detail))

    @activity.defn(name="clear_mfa_registration")
    async def clear_mfa_registration(self, account_id: str) -> None:
        """An admin reset: the MFA method and phone go, the account stays active with its
        password (so "first login" lets its owner register again). Repeating it is harmless."""
        user_id = account_uuid(account_id)
        async with self._connection() as conn, conn.transaction():
            if not await admin_resets.clear_mfa(conn, user_id):
                raise ApplicationError(f"No account {account_id}.", type=ACCOUNT_NOT_FOUND, non_retryable=True)
            detail = flow_detail()
            await audit_once(conn, "mfa.registration_cleared", subject=user_id, detail=detail)

    @activity.defn(name="mark_admin_reset_pending")
    async def mark_admin_reset_pending(self, requested: AdminResetRequested) -> None:
        """The reset as Manage Users shows it ("Reset pending since ..."), and the audit entry
        naming the administrator who asked. A retry of the same run adds neither again."""
        user_id = account_uuid(requested.account_id)
        admin_id = account_uuid(requested.requested_by) if requested.requested_by else None
        info = activity.info()
        async with self._connection() as conn, conn.transaction():
            opened = await admin_resets.open_reset(
                conn, user_id=user_id, requested_by=admin_id, requested_at=datetime.fromisoformat(requested.requested_at),
                flow_id=info.workflow_id, run_id=info.workflow_run_id,
            )
            if opened:
                detail = {"flow": info.workflow_id, "run": info.workflow_run_id}
                await audit_once(conn, "admin_reset.requested", actor=admin_id, subject=user_id, detail=detail)

    @activity.defn(name="mark_admin_reset_ended")
    async def mark_admin_reset_ended(self, ended: AdminResetEnded) -> None:
        """This run's reset ends (re_registered, expired, cancelled, restarted); audited once."""
        user_id = account_uuid(ended.account_id)
        info = activity.info()
        async with self._connection() as conn, conn.transaction():
            try:
                closed = await admin_resets.close_reset(conn, info.workflow_run_id, ended.state)
            except ValueError as exc:
                raise invalid(str(exc)) from None
            if closed is not None:
                detail = {"flow": info.workflow_id, "run": info.workflow_run_id}
                await audit_once(conn, f"admin_reset.{ended.state}", subject=user_id, detail=detail)

    @activity.defn(name="find_registration_account")
    async def find_registration_account(self, flow_id: str) -> AccountProgress:
        """The account a registration flow created, for a run support restarted under the
        same id: it resumes with that account instead of asking for the user info again."""
        async with self._connection() as conn:
            row = await conn.fetchrow(query("accounts/created_by_flow"), flow_id)
        return AccountProgress(**dict(row)) if row else AccountProgress()

    @activity.defn(name="account_progress")
    async def account_progress(self, account_id: str) -> AccountProgress:
        """What is saved of an account's enrollment (email verified, password created)."""
        async with self._connection() as conn:
            row = await conn.fetchrow(query("accounts/progress"), account_uuid(account_id))
        return AccountProgress(**dict(row)) if row else AccountProgress()

async def _insert_pending(conn: asyncpg.Connection, account: NewAccount, flow: str) -> UUID:
    async with conn.transaction():
        account_id = await conn.fetchval(
            query("accounts/insert_pending"),
            account.username, account.first_name, account.last_name,
            account.address1, account.address2, account.city, account.state, account.zip_code,
            account.email, account.phone, account.fax, flow,
        )
        await conn.execute(query("users/add_membership"), account_id, account.provider_id, False)
        await audit_once(
            conn,
            "registration.account_created",
            subject=account_id,
            detail={"flow": flow, "provider_id": str(account.provider_id)},
        )
    return account_id


def _refusal(exc: asyncpg.IntegrityConstraintViolationError) -> Outcome:
    refused = _REFUSED_NEW_ACCOUNT.get(exc.constraint_name or "")
    if refused is None:
        raise exc
    return refused
