"""The recordings of support's restarts (tests/replay/record.py runs them): a registration's
new run finds the account the earlier run created and emails a fresh link, and a first
login's enrollment reads what the account holds. Each new run's first step is the one
``workflows.database_steps.first_task_step`` moved out of its first workflow task."""

from __future__ import annotations

from activities.contracts import AccountProgress
from tests.replay.record_second_factors import finished, proven_by_address_on_record
from tests.workflows.fakes import NEW_ACCOUNT, PROVIDER_ID, PROVIDER_NPI
from tests.workflows.harness import Flows
from workflows.emailed_link import EmailedLink, LinkClick
from workflows.enrollment import EnrollmentStart, MfaEnrollmentWorkflow
from workflows.flow import RESTARTED_FROM
from workflows.registration import ProviderRegistrationWorkflow, RegistrationStart

ACCOUNT = "account-restarted"
_MEMO = {RESTARTED_FROM: "the-earlier-run"}


async def record_restarted_registration(flows: Flows) -> str:
    """The new run emails a fresh link for the account it found; the click goes on to enrollment."""
    flow_id = "registration-restarted-replay"
    flows.accounts.created_by_flow[flow_id] = ACCOUNT
    flows.accounts.saved[ACCOUNT] = AccountProgress(ACCOUNT, "pending", NEW_ACCOUNT.email, "Pat")
    start = RegistrationStart(provider_id=PROVIDER_ID, provider_npi=PROVIDER_NPI, provider_name="Replay Practice")
    handle = await flows.client.start_workflow(
        ProviderRegistrationWorkflow.run, start, id=flow_id, task_queue=flows.task_queue, memo=_MEMO
    )
    await flows.link_taken_in(handle)
    await handle.execute_update(EmailedLink.open_link, LinkClick(flows.senders.link_digest(), "c" * 64))
    child = flows.child(await flows.until(handle, step="enrolling"))
    await flows.enroll_by_email(child, NEW_ACCOUNT.email)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def record_restarted_enrollment(flows: Flows) -> str:
    """A first login's enrollment restarted: it offers the address on record, and takes it."""
    flows.accounts.saved[ACCOUNT] = AccountProgress(
        ACCOUNT, "active", NEW_ACCOUNT.email, "Pat", email_verified=True, has_password=True
    )
    start = EnrollmentStart(account_id=ACCOUNT, purpose="existing_user", email=NEW_ACCOUNT.email)
    handle = await flows.client.start_workflow(
        MfaEnrollmentWorkflow.run, start, id="enrollment-restarted-replay", task_queue=flows.task_queue, memo=_MEMO
    )
    # Read the screen only once the first task is over: flows from before could not replay a
    # history where it was read during that task (workflows/database_steps.py).
    await flows.started(handle)
    await flows.until(handle, lambda view: bool(view.email_on_record))
    await proven_by_address_on_record(flows, handle, "email")
    return await finished(handle)


RECORDINGS = {
    "registration_restarted.json": record_restarted_registration,
    "enrollment_restarted.json": record_restarted_enrollment,
}
