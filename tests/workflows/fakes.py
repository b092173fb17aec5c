"""Fake activities registered under the real activity names (the temporalio samples style):
the senders 'send' known codes and link tokens, the accounts answer as the database would.
Both record every call so a test can assert what a flow asked for."""

from __future__ import annotations

import asyncio
import dataclasses

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import (
    INVALID_DESTINATION,
    SPOKEN_CODE,
    AccountProgress,
    AdminResetEnded,
    AdminResetRequested,
    AuditEntry,
    CodeDelivery,
    EmailToVerify,
    LinkDelivery,
    MfaChoice,
    NewAccount,
    NewPassword,
    Notice,
    Outcome,
    Sent,
    TermsAccepted,
)
from domain import digests
from workflows.code_step import Keypress

CODE = "246810"
VOICE_TOKEN = "voice-token-for-tests"
LINK_TOKEN = "link-token-for-tests"
TAKEN_USERNAME = "taken.user"
TAKEN_EMAIL = "taken@example.com"
USERNAME_TAKEN = "This username is already taken. Please choose another."
EMAIL_IN_USE = "This email address is already used by another account."

# How many sessions and Remember Me tokens the fake revoke_sign_ins reports.
REVOKED_SIGN_INS = 2

# The provider and the person the flows under test register.
PROVIDER_ID = 7
PROVIDER_NPI = "1234567893"
NEW_ACCOUNT = NewAccount(
    provider_id=PROVIDER_ID,
    username="pat.doe",
    first_name="Pat",
    last_name="Doe",
    email="pat.doe@example.com",
    fax="+12025550188",
    city="Springfield",
)
# Shaped like what the edge sends; made up, it hashes nothing.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$ZmFrZXNhbHQ$ZmFrZWhhc2hmYWtlaGFzaA"


class FakeSenders:
    """Codes, calls and links: each delivery is recorded and answered with the digest of a known
    secret; ``hold_sending`` (when set to an unset Event) keeps code and call deliveries in flight."""

    def __init__(self, secret_key: str) -> None:
        self.code_key = digests.derive_key(secret_key, digests.CODE_KEY)
        self.voice_key = digests.derive_key(secret_key, digests.VOICE_KEY)
        self.link_key = digests.derive_key(secret_key, digests.LINK_KEY)
        self.sent: list[CodeDelivery] = []
        self.links: list[LinkDelivery] = []
        self.hold_sending: asyncio.Event | None = None
        # The provider is down: code and link deliveries fail (and are retried) while this is set.
        self.provider_down = False
        self.refused = 0
        # The provider refuses the address itself (no retry can help).
        self.address_refused = False
        # Attempts whose worker dies after handing the message over: they never report back.
        self.lost_attempts = 0
        # Calls that ask for "#" instead of speaking CODE, as workers placed them before.
        self.press_pound_calls = False
        self.sending = asyncio.Event()
        self.hold_link: asyncio.Event | None = None
        self.link_out = asyncio.Event()
        self.notices: list[Notice] = []
        # Tokens the next link emails carry, one each (then LINK_TOKEN): for flows whose second
        # link must not open what the first one did.
        self.next_link_tokens: list[str] = []

    def code_digest(self, flow_id: str, code: str = CODE) -> str:
        return digests.code_digest(self.code_key, flow_id, code)

    def keypress(self, digits: str = "#", token: str = VOICE_TOKEN) -> Keypress:
        return Keypress(token_digest=digests.token_digest(self.voice_key, token), digits=digits)

    def link_digest(self, token: str = LINK_TOKEN) -> str:
        return digests.token_digest(self.link_key, token)

    def activities(self) -> list:
        @activity.defn(name="send_code_email")
        async def send_code_email(delivery: CodeDelivery) -> Sent:
            await self._deliver(delivery)
            return Sent(digest=self.code_digest(activity.info().workflow_id))

        @activity.defn(name="send_code_sms")
        async def send_code_sms(delivery: CodeDelivery) -> Sent:
            return await send_code_email(delivery)

        @activity.defn(name="place_verification_call")
        async def place_verification_call(delivery: CodeDelivery) -> Sent:
            await self._deliver(delivery)
            if self.press_pound_calls:  # how calls were placed before they spoke a code
                return Sent(digest=digests.token_digest(self.voice_key, VOICE_TOKEN))
            return Sent(digest=self.code_digest(activity.info().workflow_id), detail={SPOKEN_CODE: "yes"})

        @activity.defn(name="send_link_email")
        async def send_link_email(delivery: LinkDelivery) -> Sent:
            self._unless_down()
            self.links.append(delivery)
            token = self.next_link_tokens.pop(0) if self.next_link_tokens else LINK_TOKEN
            # The email is out; its result may reach the flow later than the click does.
            self.link_out.set()
            if self.hold_link is not None:
                await self.hold_link.wait()
            return Sent(digest=self.link_digest(token))

        @activity.defn(name="send_notice_email")
        async def send_notice_email(notice: Notice) -> None:
            self.notices.append(notice)

        return [send_code_email, send_code_sms, place_verification_call, send_link_email, send_notice_email]

    def _unless_down(self) -> None:
        if self.provider_down:
            self.refused += 1
            raise RuntimeError("the provider refused the connection")

    async def _deliver(self, delivery: CodeDelivery) -> None:
        self._unless_down()
        if self.address_refused:
            raise ApplicationError("the mail server refused the address", type=INVALID_DESTINATION, non_retryable=True)
        self.sent.append(delivery)
        self.sending.set()
        if self.lost_attempts:
            self.lost_attempts -= 1
            await asyncio.Event().wait()  # its worker is gone: only the attempt's timeout ends it
        if self.hold_sending is not None:
            await self.hold_sending.wait()


class FakeAccounts:
    """The account activities: usernames and emails are unique as in the database, and
    ``hold_creation`` (when set to an unset Event) keeps create_pending_account in flight;
    ``hold_audit`` likewise the audit entry of the event it names."""

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
        self.created_by_flow: dict[str, str] = {}

    def args(self, name: str) -> list:
        return [arg for called, arg in self.calls if called == name]

    def _save(self, account_id: str, **changes: object) -> None:
        saved = self.saved.get(account_id, AccountProgress(account_id, "pending"))
        self.saved[account_id] = dataclasses.replace(saved, **changes)

    def audit_events(self) -> list[str]:
        return [entry.event for entry in self.args("record_audit")]

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

        @activity.defn(name="complete_mfa_registration")
        async def complete_mfa_registration(choice: MfaChoice) -> None:
            self.calls.append(("complete_mfa_registration", choice))

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

        return [
            find_registration_account,
            account_progress,
            create_pending_account,
            release_pending_account,
            expire_unverified_account,
            verify_account_email,
            set_account_password,
            apply_staged_password,
            revoke_sign_ins,
            complete_mfa_registration,
            accept_terms,
            record_audit,
            clear_mfa_registration,
            mark_admin_reset_pending,
            mark_admin_reset_ended,
        ]
