"""The shape every self-service flow shares (DESIGN.md §2).

A flow answers the ``view`` query with what its current screen needs, takes user actions
as updates (validators reject bad input before it reaches history), takes outside events
(the voice webhook's key press) as signals, and keeps its search attributes current so
support staff can find it. Subclasses own their steps; this base owns the plumbing.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from engine import search_attributes as sa
    from activities.contracts import LinkDelivery, Sent
    from domain.digests import digests_match, is_digest
    from workflows.code_challenge import MESSAGES, CodeChallenge, CodeStatus, Outcome
    from workflows.deliveries import (
        CODE_ON_ITS_WAY,
        STILL_SENDING_CODE,
        STILL_SENDING_LINK,
        done_soon,
        done_soon_or,
        retries_within_life,
        send_options,
    )

FIELD_ERROR = "FieldError"
# How long a finished flow waits for its browser to turn it into a signed-in session.
_CLAIM_WINDOW = timedelta(minutes=15)
CODE_SENT = "Verification code has been sent. Please copy it to the input box below."
CALL_PLACED = "We are calling you now. Answer the call and enter the 6-digit code you hear below."
# Support's restart (operations.control): the signal that comes just before the cancellation,
# so the clean-up keeps what the person saved, and the memo that tells the new run.
OPERATOR_RESTART = "operator_restart"
RESTARTED_FROM = "atrezzo_restarted_from"


@dataclass
class FlowView:
    process: str
    step: str
    status: str = "running"  # running | completed | failed | cancelled
    errors: dict[str, str] = field(default_factory=dict)
    notice: str = ""
    email: str = ""  # masked
    phone: str = ""  # masked
    code: CodeStatus | None = None
    # Non-secret values a screen shows or prefills (a masked address, a username).
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class PendingLink:
    """The digest of the link token we emailed, and until when it works."""

    digest: str
    expires_at: datetime
    clicked: bool = False
    # The digest of the browser's own value that came with the click taken (api/emailed_links.py).
    clicked_by: str = ""


@dataclass(frozen=True)
class ClaimedSignIn:
    account_id: str
    claimed_at: datetime
    claim: str  # the digest the claim came with


@dataclass(frozen=True)
class LinkClick:
    """An emailed link opened: its token's digest, and the digest of a value the opening browser
    keeps, so that browser (and only it) can be told later that its click was the one taken."""

    token_digest: str
    click_digest: str


@dataclass(frozen=True)
class Keypress:
    """Reported by the voice webhook: the digest of the call's token and the digits pressed."""

    token_digest: str
    digits: str


def field_error(field_name: str, message: str) -> ApplicationError:
    """Rejects an update with a message for one field of the current screen."""
    return ApplicationError(message, field_name, type=FIELD_ERROR, non_retryable=True)


class FlowWorkflow:
    """Base for flows. Subclasses build their state in an ``@workflow.init`` ``__init__`` (so an
    update that arrives with the first task finds it) and call ``_start_flow`` there."""

    def __init__(self) -> None:
        self._view = FlowView(process="", step="")
        self.challenge: CodeChallenge | None = None
        self._sending = False
        self._link: PendingLink | None = None
        self._sending_link = False
        # User actions so far; a flow with an idle timeout restarts its clock when this moves.
        self._actions = 0
        # Set by flows that end signed in: the account the browser may claim, once.
        self._sign_in_account = ""
        self._claimed = False
        self._claim: ClaimedSignIn | None = None
        self._restarting = False

    def _start_flow(self, process: str, step: str, *, provider_npi: str = "", account_id: str = "") -> None:
        self._view = FlowView(process=process, step=step)
        updates = [sa.PROCESS.value_set(process), sa.STEP.value_set(step), sa.STEP_SINCE.value_set(workflow.now())]
        if provider_npi:
            updates.append(sa.PROVIDER_NPI.value_set(provider_npi))
        if account_id:
            updates.append(sa.ACCOUNT_ID.value_set(account_id))
        workflow.upsert_search_attributes(updates)

    def _go(self, step: str, *, notice: str = "") -> None:
        """Move to another screen; errors belong to the screen they were shown on."""
        self._view.step = step
        self._view.errors = {}
        self._view.notice = notice
        workflow.upsert_search_attributes([sa.STEP.value_set(step), sa.STEP_SINCE.value_set(workflow.now())])

    def _set_account(self, account_id: str) -> None:
        workflow.upsert_search_attributes([sa.ACCOUNT_ID.value_set(account_id)])

    def _finish(self, status: str, step: str, *, notice: str = "") -> None:
        self._go(step, notice=notice)
        self._view.status = status

    def _touch(self) -> None:
        self._actions += 1

    def _show_error(self, field_name: str, message: str) -> None:
        self._view.errors = {field_name: message}

    async def _code_verified(self) -> None:
        """Hook: the challenge was just passed; move to the next screen here so the
        answer to the user's action already shows it."""

    async def _email_link(self, delivery: LinkDelivery) -> bool:
        """Email a fresh single-use link (any earlier one stops working). False when it could not be sent."""
        self._sending_link = True
        # As for codes: the link's life starts when it is asked for (a retried send repeats it).
        asked_at = workflow.now()
        life = timedelta(seconds=delivery.expires_in_seconds)
        notice = self._view.notice
        try:
            sending = workflow.start_activity("send_link_email", delivery, result_type=Sent, **send_options(life))
            if retries_within_life() and not await done_soon(sending):
                self._view.notice = STILL_SENDING_LINK  # the screen waiting for the email says so
            sent: Sent = await sending
            if self._view.notice == STILL_SENDING_LINK:
                self._view.notice = notice
        except ActivityError as error:
            if is_cancelled_exception(error):
                raise  # an operator's cancel, not a failed send: the flow's clean-up handles it
            return False
        finally:
            self._sending_link = False
        self._link = PendingLink(sent.digest, asked_at + timedelta(seconds=delivery.expires_in_seconds))
        return True

    async def _wait_for_click(self) -> bool:
        """Wait (durably) until the link is clicked or expires."""
        link = self._link
        assert link is not None
        try:
            await workflow.wait_condition(lambda: link.clicked, timeout=link.expires_at - workflow.now())
            return True
        except asyncio.TimeoutError:
            link.digest = ""
            return False

    @workflow.signal(name=OPERATOR_RESTART)
    def operator_restart(self) -> None:
        """Support is restarting this flow: the cancellation that follows is not the end."""
        self._restarting = True

    @staticmethod
    def _is_restart() -> bool:
        """This run was started by support's restart, after an earlier run under the same id."""
        return bool(workflow.memo_value(RESTARTED_FROM, "", type_hint=str))

    @workflow.signal
    async def link_clicked(self, token_digest: str) -> None:
        """How API processes from before link_clicked_by report a click (a rolling deploy)."""
        await self._take_click(LinkClick(token_digest, ""))

    @workflow.signal
    async def link_clicked_by(self, click: LinkClick) -> None:
        await self._take_click(click)

    @workflow.query
    def took_click(self, click_digest: str) -> bool:
        """Whether the click taken came from the browser holding this value."""
        link = self._link
        return bool(link and link.clicked and link.clicked_by and click_digest and digests_match(click_digest, link.clicked_by))

    async def _take_click(self, click: LinkClick) -> None:
        # The email arrives before the send activity's result does: a quick click waits for it.
        await workflow.wait_condition(lambda: not self._sending_link)
        link = self._link
        usable = link is not None and not link.clicked and link.digest and workflow.now() < link.expires_at
        if usable and digests_match(click.token_digest, link.digest):
            link.clicked = True
            link.digest = ""  # single use
            link.clicked_by = click.click_digest
            return
        if click.click_digest and self.took_click(click.click_digest):
            return  # the same browser again (its first open's answer was "try again"): no refusal
        # A signal has no answer: counting refusals lets the page that sent one stop waiting.
        refused = int(self._view.fields.get("links_refused", "0")) + 1
        self._view.fields["links_refused"] = str(refused)

    async def _wait_until_done(self, idle: timedelta) -> bool:
        """Follow the person's actions until the flow reaches ``done``; False once they have
        left it alone for ``idle`` (each action restarts the clock)."""
        while self._view.step != "done":
            seen = self._actions
            try:
                await workflow.wait_condition(lambda: self._view.step == "done" or self._actions != seen, timeout=idle)
            except asyncio.TimeoutError:
                return False
        return True

    async def _hand_over_sign_in(self) -> None:
        """Give the browser a moment to claim the sign-in, then let running handlers finish."""
        try:
            await workflow.wait_condition(lambda: self._claimed, timeout=_CLAIM_WINDOW)
        except asyncio.TimeoutError:
            pass
        await workflow.wait_condition(workflow.all_handlers_finished)

    @workflow.update
    def claim_sign_in(self, claim: str = "") -> str:
        """Once, for the browser that finished: the account to sign in. ``claim``: a digest
        of that browser's binding, by which a repeat of a claim whose answer was lost (the API
        died mid-request) is recognised, even after the flow has ended (``repeat_claim``)."""
        self._claimed = True
        self._claim = ClaimedSignIn(self._sign_in_account, workflow.now(), claim)
        return self._sign_in_account

    @workflow.query
    def repeat_claim(self, claim: str) -> ClaimedSignIn | None:
        """The sign-in claimed with this same ``claim`` digest, or None."""
        taken = self._claim
        if taken is None or not claim or not taken.claim or not digests_match(claim, taken.claim):
            return None
        return taken

    @claim_sign_in.validator
    def _check_claim(self, claim: str = "") -> None:
        if self._view.step != "done" or self._claimed or not self._sign_in_account:
            raise field_error("form", "This step is already complete. Please log in.")

    @workflow.query
    def view(self) -> FlowView:
        code = self.challenge.status(workflow.now()) if self.challenge is not None else None
        return dataclasses.replace(self._view, code=code)

    @workflow.update
    async def send_code(self) -> FlowView:
        """Send New Code / Send Code / Call Me: a fresh code through the challenge's channel."""
        assert self.challenge is not None
        self._touch()
        self._sending = True
        if not retries_within_life():
            await self._deliver_code()
            return self.view()
        delivery = asyncio.create_task(self._deliver_code())
        if not await done_soon(delivery):
            # The provider is slow or down: say so now; the send goes on, and the screen
            # shows "sent" (or that it failed) once it is over.
            self._view.errors = {}
            self._view.notice = STILL_SENDING_CODE
            return self.view()
        await delivery
        return self.view()

    async def _deliver_code(self) -> None:
        assert self.challenge is not None
        try:
            failure = await self.challenge.send()
        finally:
            self._sending = False
        if not failure:
            self._view.errors = {}
            self._view.notice = CALL_PLACED if self.challenge.channel == "voice" else CODE_SENT
        else:
            self._view.notice = ""
            self._show_error("code", failure)

    @send_code.validator
    def _validate_send_code(self) -> None:
        if self.challenge is None:
            raise field_error("code", "There is no verification step on this screen.")
        if self._sending:
            raise field_error("code", "A code is already on its way.")
        refusal = self.challenge.send_refusal(workflow.now())
        if refusal:
            raise field_error("code", refusal)

    @workflow.update
    async def verify_code(self, code_digest: str) -> FlowView:
        assert self.challenge is not None
        self._touch()
        # The email or SMS can arrive before the sending activity's answer does: a code typed
        # in that moment is compared once it is recorded, not refused as "not sent yet".
        if not retries_within_life():
            await workflow.wait_condition(lambda: not self._sending)
        elif self._sending:
            # A send still retrying through an outage does not hold the press: the code on
            # record until then is the one compared.
            await done_soon_or(lambda: not self._sending)
        assert self.challenge is not None
        outcome = self.challenge.verify(code_digest, workflow.now())
        if outcome is Outcome.VERIFIED:
            self._view.errors = {}
            await self._code_verified()
        elif outcome is Outcome.NOT_SENT and self._sending:
            # The code can be in the person's hands before its send is confirmed (a worker
            # died after handing it over, and the retry is on its way): ask again, not anew.
            self._show_error("code", CODE_ON_ITS_WAY)
        else:
            self._show_error("code", MESSAGES[outcome])
        return self.view()

    @verify_code.validator
    def _validate_verify_code(self, code_digest: str) -> None:
        if self.challenge is None or self.challenge.awaits_keypress:
            raise field_error("code", "There is no code to verify on this screen.")
        if not is_digest(code_digest):
            raise field_error("code", "Enter the 6-digit code.")

    @workflow.signal
    async def phone_keypress(self, press: Keypress) -> None:
        if self.challenge is not None and self.challenge.confirm_keypress(
            press.token_digest, press.digits, workflow.now()
        ):
            self._touch()
            self._view.errors = {}
            await self._code_verified()
