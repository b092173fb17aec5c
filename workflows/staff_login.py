"""A staff member's sign-in by the Kepro box's LOGIN (OpenID Connect), as a flow support can
follow in the Temporal UI. LOGIN starts it and sends the browser to the identity provider; the
provider's answer comes back to the portal's callback, which checks it at the edge (state,
the code exchanged with PKCE, the ID token: api/staff_identity.py) and finishes this flow with
the identity it vouches for — never the code or a token. The flow finds or makes the account
(store/staff_identities.py), and its last answer hands the sign-in to the browser that
pressed LOGIN. With no answer within its timeout it ends, and so does a refused one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.postgres_staff import StaffAccountActivities
    from workflows.database_steps import database_step
    from workflows.flow import FlowView, field_error
    from workflows.sign_in_hand_over import SignInHandOver
    from domain.staff_identity import StaffIdentity
    from workflows.steps import StaffLoginStep

PROCESS = "staff_login"
# What the login page says, by refusal code (the edge's and the account's).
REFUSALS = {
    "provider_error": "The Kepro sign-in was cancelled or refused. Please try again.",
    "token": "The Kepro sign-in could not be verified. Please try again.",
    "state": "This Kepro sign-in was started in another window or has expired. Please press LOGIN again.",
    "unverified_email": "The email address of your Kepro account is not verified. Please contact the Kepro service desk.",
    "not_staff_domain": "This is not a Kepro domain account. Customer and provider users log in with phone or email.",
    "unavailable": "The Kepro sign-in is not available right now. Please try again in a few minutes.",
    "disabled": "Your account is disabled. Please contact your administrator.",
    "other_identity": "This address belongs to another Kepro account in the portal. Please contact support.",
}
REFUSED = "The Kepro sign-in could not be completed. Please press LOGIN again."


@dataclass(frozen=True)
class StaffLoginStart:
    timeout_seconds: int
    # The digest of the starting browser's claim: the last update hands it the sign-in.
    claim: str = ""


@workflow.defn
class StaffLoginWorkflow(SignInHandOver, steps=StaffLoginStep):
    @workflow.init
    def __init__(self, start: StaffLoginStart) -> None:
        super().__init__()
        self._hand_over_to("", start.claim)
        self._start_flow(PROCESS, StaffLoginStep.AT_PROVIDER)

    @workflow.run
    async def run(self, start: StaffLoginStart) -> str:
        answered = lambda: self._view.step != StaffLoginStep.AT_PROVIDER  # noqa: E731
        try:
            await workflow.wait_condition(answered, timeout=timedelta(seconds=start.timeout_seconds))
        except TimeoutError:
            self._finish("failed", StaffLoginStep.EXPIRED)
            return "expired"
        if self._view.step != StaffLoginStep.DONE:
            await workflow.wait_condition(workflow.all_handlers_finished)
            return "refused"
        await self._hand_over_sign_in()
        return "signed_in"

    @workflow.update
    async def sign_in_as(self, identity: StaffIdentity) -> FlowView:
        """The provider's answer, checked at the edge: the identity it vouches for."""
        self._touch()
        account = await database_step(StaffAccountActivities.staff_account, identity)
        if account.refusal:
            self._refuse(account.refusal)
            return self.view()
        self._hand_over_to(account.account_id, self._expected_claim)
        self._set_account(account.account_id)
        self._finish("completed", StaffLoginStep.DONE)
        return self._answer()

    @sign_in_as.validator
    def _check_sign_in_as(self, identity: StaffIdentity) -> None:
        self._check_at_provider()
        if not (identity.issuer and identity.subject and "@" in identity.email):
            raise field_error("form", REFUSALS["token"], "token")

    @workflow.update
    def refuse(self, reason: str) -> FlowView:
        """The provider's answer was an error, or failed the edge's checks (``REFUSALS``)."""
        self._touch()
        self._refuse(reason)
        return self.view()

    @refuse.validator
    def _check_refuse(self, reason: str) -> None:
        self._check_at_provider()
        if reason not in REFUSALS:
            raise field_error("form", REFUSED)

    def _refuse(self, reason: str) -> None:
        self._finish("failed", StaffLoginStep.REFUSED)
        self._show_error("form", REFUSALS[reason], reason)

    def _check_at_provider(self) -> None:
        if self._view.step != StaffLoginStep.AT_PROVIDER:
            raise field_error("form", "This Kepro sign-in is already over. Please press LOGIN again.")
