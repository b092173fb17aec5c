"""Security notices (NIST SP 800-63B §6.1.2, ASVS V6): when a flow changes how someone signs in
— their email, phone, password or MFA method — it tells them by email, at the address that was
on record (and, for a new address, at that one too), so a change nobody asked for is noticed.
Sent by the flow that made the change, audited, never blocking it: the change stands even if
the mail server is down."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from enum import StrEnum, auto

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.contracts import AuditEntry, Notice
    from activities.email import EmailActivities
    from activities.postgres import AccountActivities
    from workflows.database_steps import database_step
    from workflows.versions import SECURITY_NOTICES, patched


class NoticeTemplate(StrEnum):
    """A notice's template in activities/templates/email, named by its value (``auto()`` is the
    member's name in lower case): the string that goes into history and the audit log."""

    EMAIL_CHANGED = auto()
    PASSWORD_CHANGED = auto()
    MFA_REGISTERED = auto()
    RECOVERY_CODE_USED = auto()
    RECOVERY_CODES_ISSUED = auto()
    PASSKEY_ADDED = auto()
    SIGNED_IN = auto()  # with the authenticator app or a passkey
    PASSKEY_REMOVED = auto()


NOTICE_SEND = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(maximum_attempts=5, non_retryable_error_types=["InvalidDestination"]),
}


async def notify(account_id: str, template: NoticeTemplate, *addresses: str, **detail: str) -> None:
    """Send ``template`` to each distinct address (an empty one is skipped); each send is
    audited as notice.sent or notice.failed with the template's name, never the address."""
    sent: set[str] = set()
    for address in addresses:
        if not address or address.casefold() in sent:
            continue
        sent.add(address.casefold())
        try:
            notice = Notice(to=address, template=template, detail=detail)
            await workflow.execute_activity_method(EmailActivities.send_notice_email, notice, **NOTICE_SEND)
            event = "notice.sent"
        except ActivityError as error:
            if is_cancelled_exception(error):
                raise
            event = "notice.failed"
        entry = AuditEntry(event, subject=account_id, detail={"flow": workflow.info().workflow_id, "template": template})
        await database_step(AccountActivities.record_audit, entry)


class Notices:
    """The notices one flow sends. Each goes out beside the person's next screen instead of
    holding up its answer; the flow waits for them all before it ends."""

    def __init__(self) -> None:
        self._sending: list[asyncio.Task[None]] = []

    def send(self, account_id: str, template: NoticeTemplate, *addresses: str, **detail: str) -> None:
        # Flows that ran this far before notices existed finish (and replay) without them.
        if patched(SECURITY_NOTICES):
            self._sending.append(asyncio.create_task(notify(account_id, template, *addresses, **detail)))

    async def delivered(self) -> None:
        await asyncio.gather(*self._sending)
