"""The fake accounts activities, under the real activity names: they answer as the database
would, from what "the database" holds here, and record every call so a test can assert what a
flow asked for."""

from __future__ import annotations

import asyncio
import dataclasses

from temporalio import activity

from activities.contracts import (
    AccountProgress,
    AdminResetEnded,
    AdminResetRequested,
    AuditEntry,
    EmailToVerify,
    MfaChoice,
    NewAccount,
    NewPassword,
    Outcome,
    StaffAccount,
    StagedPassword,
    TermsAccepted,
)
from domain.staff_identity import StaffIdentity

TAKEN_USERNAME = "taken.user"
TAKEN_EMAIL = "taken@example.com"
USERNAME_TAKEN = "This username is already taken. Please choose another."
EMAIL_IN_USE = "This email address is already used by another account."

# How many sessions and Remember Me tokens the fake revoke_sign_ins reports.
REVOKED_SIGN_INS = 2

# What FakeAccounts.calls holds for an audit row: one written on its own, or with its write.
_AUDITS = ("record_audit", "audited with its write")


class FakeAccounts:
    """The account activities: usernames and emails are unique as in the database, and
    ``hold_creation`` (when set to an unset Event) keeps create_pending_account in flight;
    ``hold_audit`` likewise the audit entry of the event it names, and ``hold_password_save``
    each staged password's save."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.created = 0
        self.hold_creation: asyncio.Event | None = None
        self.creating = asyncio.Event()
        self.hold_audit: tuple[str, asyncio.Event] | None = None
        self.auditing = asyncio.Event()
        # What "the database" holds, as the restart look-ups read it: account id -> progress,
        # and the registration flow id -> the account it created.
        self.saved: dict[str, AccountProgress] = {}
        # The edge staged no password for the flow (or it expired): apply_staged_password finds none.
        self.nothing_staged = False
        self.hold_password_save: asyncio.Event | None = None
        self.saving_password = asyncio.Event()
        self.created_by_flow: dict[str, str] = {}
        # A staff identity's subject -> why its sign-in is refused ("disabled", "other_identity").
        self.staff_refusals: dict[str, str] = {}

    def args(self, name: str) -> list:
        return [arg for called, arg in self.calls if called == name]

    def _save(self, account_id: str, **changes: object) -> None:
        saved = self.saved.get(account_id, AccountProgress(account_id, "pending"))
        self.saved[account_id] = dataclasses.replace(saved, **changes)

    def audit_events(self) -> list[str]:
        """Every audit row the flows had written: on its own, or with its write."""
        return [arg.event if called == "record_audit" else arg for called, arg in self.calls if called in _AUDITS]

    def activities(self) -> list:
        @activity.defn(name="create_pending_account")
        async def create_pending_account(account: NewAccount) -> Outcome:
            self.calls.append(("create_pending_account", account))
            self.creating.set()
            if self.hold_creation is not None:
                await self.hold_creation.wait()
            if account.username == TAKEN_USERNAME:
                return Outcome(field="username", error=USERNAME_TAKEN)
            if account.email == TAKEN_EMAIL:
                return Outcome(email_holder="account")
            self.created += 1
            account_id = f"account-{self.created}"
            self.saved[account_id] = AccountProgress(account_id, "pending", account.email, account.first_name)
            self.created_by_flow[activity.info().workflow_id] = account_id
            return Outcome(account_id=account_id)

        @activity.defn(name="release_pending_account")
        async def release_pending_account(account_id: str) -> None:
            self.calls.append(("release_pending_account", account_id))
            if account_id in self.saved and self.saved[account_id].status == "pending":
                del self.saved[account_id]

        @activity.defn(name="expire_unverified_account")
        async def expire_unverified_account(account_id: str) -> bool:
            self.calls.append(("expire_unverified_account", account_id))
            saved = self.saved.get(account_id)
            if saved is None or saved.status != "pending" or saved.email_verified:
                return False
            del self.saved[account_id]
            return True

        @activity.defn(name="verify_account_email")
        async def verify_account_email(request: EmailToVerify) -> Outcome:
            self.calls.append(("verify_account_email", request))
            if request.email == TAKEN_EMAIL:
                return Outcome(field="email", error=EMAIL_IN_USE)
            self._save(request.account_id, email=request.email, email_verified=True)
            if request.audited:
                self.calls.append(("audited with its write", "mfa.email_verified"))
            return Outcome(account_id=request.account_id)

        @activity.defn(name="set_account_password")
        async def set_account_password(password: NewPassword) -> None:
            self.calls.append(("set_account_password", password))
            self._save(password.account_id, has_password=True)

        @activity.defn(name="apply_staged_password")
        async def apply_staged_password(account_id: str) -> bool:
            self.calls.append(("apply_staged_password", account_id))
            if self.nothing_staged:
                return False
            self._save(account_id, has_password=True)
            return True

        @activity.defn(name="save_staged_password")
        async def save_staged_password(saved: StagedPassword) -> bool:
            self.calls.append(("save_staged_password", saved))
            self.saving_password.set()
            if self.hold_password_save is not None:
                await self.hold_password_save.wait()
            if self.nothing_staged:
                return False
            self._save(saved.account_id, has_password=True)
            self.calls.append(("audited with its write", saved.event))
            return True

        @activity.defn(name="complete_mfa_registration")
        async def complete_mfa_registration(choice: MfaChoice) -> None:
            self.calls.append(("complete_mfa_registration", choice))
            if choice.audited:
                self.calls.append(("audited with its write", "mfa.registered"))

        @activity.defn(name="accept_terms")
        async def accept_terms(accepted: TermsAccepted) -> None:
            self.calls.append(("accept_terms", accepted))

        @activity.defn(name="revoke_sign_ins")
        async def revoke_sign_ins(account_id: str) -> int:
            self.calls.append(("revoke_sign_ins", account_id))
            return REVOKED_SIGN_INS

        @activity.defn(name="record_audit")
        async def record_audit(entry: AuditEntry) -> None:
            self.calls.append(("record_audit", entry))
            if self.hold_audit is not None and self.hold_audit[0] == entry.event:
                self.auditing.set()
                await self.hold_audit[1].wait()

        @activity.defn(name="clear_mfa_registration")
        async def clear_mfa_registration(account_id: str) -> None:
            self.calls.append(("clear_mfa_registration", account_id))

        @activity.defn(name="mark_admin_reset_pending")
        async def mark_admin_reset_pending(requested: AdminResetRequested) -> None:
            self.calls.append(("mark_admin_reset_pending", requested))

        @activity.defn(name="mark_admin_reset_ended")
        async def mark_admin_reset_ended(ended: AdminResetEnded) -> None:
            # With the run, as the real one keys its row: a restart ends the old run's reset.
            self.calls.append(("mark_admin_reset_ended", (activity.info().workflow_run_id, ended)))

        @activity.defn(name="find_registration_account")
        async def find_registration_account(flow_id: str) -> AccountProgress:
            self.calls.append(("find_registration_account", flow_id))
            return self.saved.get(self.created_by_flow.get(flow_id, ""), AccountProgress())

        @activity.defn(name="account_progress")
        async def account_progress(account_id: str) -> AccountProgress:
            self.calls.append(("account_progress", account_id))
            return self.saved.get(account_id, AccountProgress())

        @activity.defn(name="staff_account")
        async def staff_account(identity: StaffIdentity) -> StaffAccount:
            self.calls.append(("staff_account", identity))
            refusal = self.staff_refusals.get(identity.subject, "")
            return StaffAccount(refusal=refusal) if refusal else StaffAccount(account_id=f"staff-{identity.subject}")

        return [
            staff_account,
            find_registration_account,
            account_progress,
            create_pending_account,
            release_pending_account,
            expire_unverified_account,
            verify_account_email,
            set_account_password,
            apply_staged_password,
            save_staged_password,
            revoke_sign_ins,
            complete_mfa_registration,
            accept_terms,
            record_audit,
            clear_mfa_registration,
            mark_admin_reset_pending,
            mark_admin_reset_ended,
        ]
