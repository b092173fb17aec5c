"""Record the histories the replay tests check: `python -m tests.replay.record [NAME.json ...]`
(all of them when no name is given), into histories/<today>, or histories/$REPLAY_RECORDING.

Run it when a flow's *intended* behaviour changes (and say so in the commit); a replay
failure without such a change means running flows would break on deploy. Every activity
is a fake (tests/workflows/fakes.py): nothing leaves the machine, and no real secret can
reach a recorded history."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import os
import sys
from pathlib import Path

from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.testing._timeskipping import TimeSkippingConfig
from temporalio.worker import Worker

from domain.staff_identity import StaffIdentity
from engine import search_attributes as sa
from tests.support.challenge_flow import ChallengeFlow, ChallengeStart
from tests.support.temporal import BIN, TIME_SKIPPING_FLAG
from tests.replay.record_restarts import RECORDINGS as RESTARTS
from tests.replay.record_second_factors import RECORDINGS as SECOND_FACTORS
from tests.workflows.fake_accounts import TAKEN_USERNAME, FakeAccounts
from tests.workflows.fake_authenticator import FakeAuthenticator
from tests.workflows.fakes import NEW_ACCOUNT, PERSON, PROVIDER_ID, PROVIDER_NPI, FakeSenders
from tests.workflows.harness import Flows
from workflows.admin_reset import AdminResetStart, ProviderAdminResetWorkflow, admin_reset_id
from workflows.enrollment import EnrollmentStart, MfaEnrollmentWorkflow, PhoneEntry
from workflows.emailed_link import EmailedLink, LinkClick
from workflows.flow import FlowView
from workflows.login import LoginStart, LoginWorkflow
from workflows.password_reset import PasswordResetStart, PasswordResetWorkflow
from workflows.registration import ProviderRegistrationWorkflow, RegistrationStart
from workflows.registration_reset import RegistrationResetWorkflow, ResetStart
from workflows.registry import WORKFLOWS
from workflows.staff_login import StaffLoginStart, StaffLoginWorkflow
from workflows.timings import Timings

HISTORIES = Path(__file__).parent / "histories"
SECRET_KEY = "replay-recording-key-not-a-real-secret-0123456789"
TASK_QUEUE = "replay"


async def record_challenge(flows: Flows) -> str:
    handle = await flows.start(
        ChallengeFlow.run, ChallengeStart(channel="email", destination="replay@example.com"), prefix="challenge"
    )
    await handle.execute_update("send_code", result_type=FlowView)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id, "000000"), result_type=FlowView)
    await flows.fast_forward(handle, seconds=25)
    await handle.execute_update("send_code", result_type=FlowView)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id), result_type=FlowView)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def open_link(flows: Flows, handle: WorkflowHandle) -> None:
    """As the API opens an emailed link: one update, answered once the flow has taken the click."""
    await handle.execute_update(EmailedLink.open_link, LinkClick(flows.senders.link_digest(), "c" * 64))


async def record_registration(flows: Flows) -> str:
    """A taken username, the link clicked at 19 minutes, enrollment by email with the terms."""
    start = RegistrationStart(provider_id=PROVIDER_ID, provider_npi=PROVIDER_NPI, provider_name="Replay Practice")
    handle = await flows.start(ProviderRegistrationWorkflow.run, start, prefix="registration")
    taken = dataclasses.replace(PERSON, username=TAKEN_USERNAME)
    await handle.execute_update("submit_user_info", taken, result_type=FlowView)
    await handle.execute_update("submit_user_info", PERSON, result_type=FlowView)
    await flows.link_taken_in(handle)
    await flows.fast_forward(handle, minutes=19)
    await open_link(flows, handle)
    child = flows.child(await flows.until(handle, step="enrolling"))
    await flows.enroll_by_email(child, NEW_ACCOUNT.email)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def record_enrollment(flows: Flows) -> str:
    """The phone method: a wrong email code, SMS to one line, then a call to another and its spoken code."""
    start = EnrollmentStart(account_id="account-replay", purpose="existing_user", email=NEW_ACCOUNT.email)
    handle = await flows.start(MfaEnrollmentWorkflow.run, start, prefix="enrollment")
    await handle.execute_update("choose_method", "phone", result_type=FlowView)
    await handle.execute_update("submit_email", NEW_ACCOUNT.email, result_type=FlowView)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id, "000000"), result_type=FlowView)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id), result_type=FlowView)
    await handle.execute_update("save_password", result_type=FlowView)
    await handle.execute_update("submit_phone", PhoneEntry("+12025550100", "sms"), result_type=FlowView)
    await handle.execute_update("change_phone", result_type=FlowView)
    await flows.fast_forward(handle, seconds=21)
    await handle.execute_update("submit_phone", PhoneEntry("+12025550143", "voice"), result_type=FlowView)
    # The call speaks its code; the person types it (the pound key alone approves nothing).
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id), result_type=FlowView)
    await flows.until(handle, step="done")
    await handle.execute_update("claim_sign_in", result_type=str)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def record_enrollment_email(flows: Flows) -> str:
    """The email method for a registration: its code, Create (which ends it), the terms."""
    start = EnrollmentStart(account_id="account-replay", purpose="registration", email=NEW_ACCOUNT.email, requires_terms=True)
    handle = await flows.start(MfaEnrollmentWorkflow.run, start, prefix="enrollment")
    await flows.enroll_by_email(handle, NEW_ACCOUNT.email)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def record_registration_reset(flows: Flows) -> str:
    """Having trouble: the link resumes at the phone step, and the verified email is used instead."""
    start = ResetStart(
        account_id="account-replay",
        reason="having_trouble",
        email=NEW_ACCOUNT.email,
        first_name=NEW_ACCOUNT.first_name,
        email_verified=True,
        has_new_password=True,
    )
    handle = await flows.start(RegistrationResetWorkflow.run, start, prefix="registration-reset")
    await flows.link_taken_in(handle)
    await open_link(flows, handle)
    child = flows.child(await flows.until(handle, step="enrolling"))
    await child.execute_update("use_email_instead", result_type=FlowView)
    await child.execute_update("claim_sign_in", result_type=str)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def record_login_email(flows: Flows) -> str:
    """Login with Email: a wrong code, the right one too late (30 s), a new code, which ends the
    flow and hands the sign-in to the browser's claim (Continue is the edge's)."""
    start = LoginStart(
        account_id="account-replay", option="email", destination=NEW_ACCOUNT.email, timings=Timings(code_ttl_seconds=30),
        claim="c" * 64,
    )
    handle = await flows.start(LoginWorkflow.run, start, prefix="login")
    await handle.execute_update("send_email_code", result_type=FlowView)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id, "000000"), result_type=FlowView)
    await flows.fast_forward(handle, seconds=31)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id), result_type=FlowView)
    await handle.execute_update("send_code", result_type=FlowView)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id), result_type=FlowView)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def record_login_phone(flows: Flows) -> str:
    """Login with Phone: Send Code, then Call Me after the cooldown, and the spoken code."""
    start = LoginStart(account_id="account-replay", option="phone", destination="+12125559885")
    handle = await flows.start(LoginWorkflow.run, start, prefix="login")
    await handle.execute_update("send_phone_code", "sms", result_type=FlowView)
    await flows.fast_forward(handle, seconds=21)
    await handle.execute_update("send_phone_code", "voice", result_type=FlowView)
    # The call speaks its code; the person types it (the pound key alone approves nothing).
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id), result_type=FlowView)
    await flows.until(handle, step="done")
    await handle.execute_update("claim_sign_in", result_type=str)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def record_password_reset(flows: Flows) -> str:
    """A phone user: the emailed code (after a wrong one), Continue, an SMS code, the new password."""
    start = PasswordResetStart(account_id="account-replay", email=NEW_ACCOUNT.email, phone="+12125559885")
    handle = await flows.start(PasswordResetWorkflow.run, start, prefix="password-reset")
    await flows.until(handle, lambda view: view.code is not None and view.code.sent)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id, "000000"), result_type=FlowView)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id), result_type=FlowView)
    await handle.execute_update("continue_reset", result_type=FlowView)
    await handle.execute_update("send_phone_code", "sms", result_type=FlowView)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id), result_type=FlowView)
    await handle.execute_update("save_new_password", result_type=FlowView)
    await handle.execute_update("claim_sign_in", result_type=str)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def record_password_reset_unknown(flows: Flows) -> str:
    """An address with no account: the decoy code, a wrong code, Send new code after the
    cooldown, then left idle until it expires."""
    start = PasswordResetStart(account_id="", email="nobody@example.com", shown_email="nobody@example.com")
    handle = await flows.start(PasswordResetWorkflow.run, start, prefix="password-reset")
    await flows.until(handle, lambda view: view.code is not None and view.code.sent)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id), result_type=FlowView)
    await flows.fast_forward(handle, seconds=21)
    await handle.execute_update("send_code", result_type=FlowView)
    await flows.fast_forward(handle, hours=2)
    assert await handle.result() == "expired"
    return (await handle.fetch_history()).to_json()


async def record_admin_reset(flows: Flows) -> str:
    """Reset, the link clicked after 3 days, first login hands over to enrollment by email."""
    start = AdminResetStart("account-replay", "admin-replay", "request-replay", email=NEW_ACCOUNT.email, first_name="Pat")
    handle = await flows.client.start_workflow(
        ProviderAdminResetWorkflow.run, start, id=admin_reset_id("account-replay"), task_queue=flows.task_queue,
        start_signal="restart", start_signal_args=[start],
    )
    await flows.until(handle, step="awaiting_user")
    await flows.fast_forward(handle, days=3)
    await open_link(flows, handle)
    view = await handle.execute_update("begin_enrollment", "account-replay", result_type=ProviderAdminResetWorkflow.VIEW)
    await flows.enroll_by_email(flows.child(view), NEW_ACCOUNT.email)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def record_staff_login(flows: Flows) -> str:
    """LOGIN, then the identity the edge checked: signed in, the grant in that answer."""
    handle = await flows.start(StaffLoginWorkflow.run, StaffLoginStart(600, claim="c" * 64), prefix="staff_login")
    identity = StaffIdentity("https://idp.replay.example", "sub-replay", "pat.staff@kepro.com", "Pat", "Staff")
    await handle.execute_update(StaffLoginWorkflow.sign_in_as, identity)
    await handle.result()
    return (await handle.fetch_history()).to_json()


RECORDINGS = {
    "challenge_email.json": record_challenge,
    "registration.json": record_registration,
    "enrollment_phone.json": record_enrollment,
    "enrollment_email.json": record_enrollment_email,
    "registration_reset.json": record_registration_reset,
    "login_email.json": record_login_email,
    "login_phone_voice.json": record_login_phone,
    "password_reset_phone.json": record_password_reset,
    "password_reset_unknown.json": record_password_reset_unknown,
    "admin_reset.json": record_admin_reset,
    "staff_login.json": record_staff_login,
    **SECOND_FACTORS,
    **RESTARTS,
}


async def main(names: list[str]) -> None:
    env = await WorkflowEnvironment.start_time_skipping_v2(
        ts_config=TimeSkippingConfig(enabled=False),
        dev_server_existing_path=str(BIN / "temporal"),
        dev_server_extra_args=TIME_SKIPPING_FLAG,
        search_attributes=sa.ALL,
    )
    flows = Flows(env, env.client, TASK_QUEUE, FakeSenders(SECRET_KEY), FakeAccounts(), FakeAuthenticator(SECRET_KEY))
    try:
        async with Worker(
            env.client,
            task_queue=TASK_QUEUE,
            workflows=[ChallengeFlow, *WORKFLOWS],
            activities=flows.senders.activities() + flows.accounts.activities() + flows.authenticator.activities(),
        ):
            # REPLAY_RECORDING names a second recording of the same day (a flow added).
            recording = HISTORIES / (os.environ.get("REPLAY_RECORDING") or datetime.date.today().isoformat())
            recording.mkdir(exist_ok=True)
            for name in names:
                (recording / name).write_text(await RECORDINGS[name](flows))
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or list(RECORDINGS)))
    sys.stdout.flush()
    os._exit(0)
