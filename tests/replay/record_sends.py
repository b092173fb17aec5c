"""The recordings of the send paths (tests/replay/record.py runs them): a code whose first
attempt outlasts FIRST_ATTEMPT and is carried on by an ordinary activity, and a password reset
for an address with no account, whose imitated sends are local activities like real ones
(workflows/deliveries.py, workflows/code_step.py)."""

from __future__ import annotations

from tests.support.challenge_flow import ChallengeFlow, ChallengeStart
from tests.workflows.fakes import NEW_ACCOUNT
from tests.workflows.harness import Flows
from workflows.flow import FlowView
from workflows.password_reset import PasswordResetStart, PasswordResetWorkflow


async def record_slow_first_send(flows: Flows) -> str:
    flows.senders.slow_first_attempt = True
    start = ChallengeStart(channel="email", destination="replay@example.com")
    handle = await flows.start(ChallengeFlow.run, start, prefix="challenge")
    await handle.execute_update("send_code", result_type=FlowView)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id), result_type=FlowView)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def record_password_reset_unknown(flows: Flows) -> str:
    """No account: the decoy's code, a second send after the cooldown, a try, then the idle end."""
    start = PasswordResetStart(account_id="", email=NEW_ACCOUNT.email)
    handle = await flows.start(PasswordResetWorkflow.run, start, prefix="password-reset")
    await flows.until(handle, lambda view: view.code is not None and view.code.sent)
    await flows.fast_forward(handle, seconds=21)
    await handle.execute_update("send_code", result_type=FlowView)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id), result_type=FlowView)
    await flows.fast_forward(handle, hours=2)
    await handle.result()
    return (await handle.fetch_history()).to_json()


RECORDINGS = {
    "challenge_slow_first_send.json": record_slow_first_send,
    "password_reset_unknown.json": record_password_reset_unknown,
}
