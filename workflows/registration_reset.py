"""Finishing a registration by emailed link: "Registration Error → Reset" and "Having
trouble logging in?". The edge decides whether the account qualifies (and answers the same
either way); this flow emails the link, waits for the click, then runs MFA enrollment from
the step the person left."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import LinkDelivery
    from workflows.emailed_link import EmailedLink
    from workflows.enrollment import EnrollmentStart, enroll
    from workflows.registration import CONFIRM_PATH
    from workflows.steps import ResetStep
    from workflows.timings import Timings

# reason -> (process name for search attributes, email template, enrollment purpose)
REASONS = {
    "registration_error": ("registration_reset", "registration_reset_link", "registration_reset"),
    "having_trouble": ("enrollment_help", "enrollment_resume_link", "resume"),
}


@dataclass(frozen=True)
class ResetStart:
    account_id: str
    reason: str
    email: str
    first_name: str = ""
    email_verified: bool = False
    has_new_password: bool = False
    requires_terms: bool = False
    timings: Timings = field(default_factory=Timings)


@workflow.defn
class RegistrationResetWorkflow(EmailedLink, steps=ResetStep):
    @workflow.init
    def __init__(self, start: ResetStart) -> None:
        super().__init__()
        process, _, _ = REASONS[start.reason]
        self._start_flow(process, ResetStep.CHECK_EMAIL, account_id=start.account_id)

    @workflow.run
    async def run(self, start: ResetStart) -> str:
        _, template, purpose = REASONS[start.reason]
        delivery = LinkDelivery(
            to=start.email,
            template=template,
            path=CONFIRM_PATH,
            expires_in_seconds=start.timings.link_ttl_seconds,
            greeting_name=start.first_name,
        )
        if not await self._email_link(delivery):
            self._finish("failed", ResetStep.LINK_NOT_SENT)
            return "link_not_sent"
        if not await self._wait_for_click():
            self._finish("failed", ResetStep.LINK_EXPIRED)
            return "link_expired"
        return await enroll(
            self,
            EnrollmentStart(
                account_id=start.account_id,
                purpose=purpose,
                email=start.email,
                email_verified=start.email_verified,
                has_new_password=start.has_new_password,
                requires_terms=start.requires_terms,
                timings=start.timings,
            ),
        )
