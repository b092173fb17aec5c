"""The recordings of issue 10's flows and steps (tests/replay/record.py runs them): the
authenticator app and a passkey in enrollment, login by each with a recovery code and a
refused answer on the way, the sign-in with a passkey alone, and the security notice for
new codes from home."""

from __future__ import annotations

import pyotp

from tests.workflows.fake_authenticator import signed
from tests.workflows.fakes import NEW_ACCOUNT
from tests.workflows.harness import Flows
from workflows.enrollment import EnrollmentStart, MfaEnrollmentWorkflow
from workflows.flow import FlowView
from workflows.login import LoginStart, LoginWorkflow
from workflows.passkey_login import PasskeyLoginStart, PasskeyLoginWorkflow
from workflows.passkey_step import PasskeyEntry
from workflows.notices import NoticeTemplate
from workflows.security_notice import SecurityNotice, SecurityNoticeWorkflow

ACCOUNT = "account-replay"


async def _enroll(flows: Flows, method: str):
    start = EnrollmentStart(account_id=ACCOUNT, purpose="existing_user", email=NEW_ACCOUNT.email)
    handle = await flows.start(MfaEnrollmentWorkflow.run, start, prefix="enrollment")
    await proven_by_address_on_record(flows, handle, method)
    return handle


async def proven_by_address_on_record(flows: Flows, handle, method: str) -> None:
    """A first login's enrollment: ``method`` chosen, the code sent to the address on record
    typed, Create pressed."""
    await handle.execute_update("choose_method", method, result_type=FlowView)
    await handle.execute_update("send_to_email_on_record", result_type=FlowView)
    await handle.execute_update("verify_code", flows.senders.code_digest(handle.id), result_type=FlowView)
    await handle.execute_update("save_password", result_type=FlowView)


async def finished(handle, *updates: str) -> str:
    """After ``updates``, the sign-in claimed and the flow over: its history."""
    for update in updates:
        await handle.execute_update(update, result_type=FlowView)
    await handle.execute_update("claim_sign_in", result_type=str)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def record_enrollment_app(flows: Flows) -> str:
    """AUTHENTICATOR APP: a wrong code, a new key, the app's code, the recovery codes kept."""
    handle = await _enroll(flows, "app")
    await handle.execute_update("verify_app_code", flows.senders.code_digest(handle.id, "000000"), result_type=FlowView)
    await handle.execute_update("new_app_key", result_type=FlowView)
    code = flows.senders.code_digest(handle.id, flows.authenticator.code(ACCOUNT))
    await handle.execute_update("verify_app_code", code, result_type=FlowView)
    return await finished(handle, "recovery_codes_saved")


async def record_enrollment_passkey(flows: Flows) -> str:
    """PASSKEY: an answer refused, then the passkey made and named, the recovery codes kept."""
    handle = await _enroll(flows, "passkey")
    await handle.execute_update("answer_passkey", PasskeyEntry("{}"), result_type=FlowView)
    await handle.execute_update("answer_passkey", PasskeyEntry(signed(1), "Work laptop"), result_type=FlowView)
    return await finished(handle, "recovery_codes_saved")


async def record_login_app(flows: Flows) -> str:
    """An app user: a wrong code, then a recovery code instead (its notice sent)."""
    flows.authenticator.in_use.setdefault(ACCOUNT, pyotp.random_base32())
    flows.authenticator.recovery_digests[ACCOUNT] = {"a" * 64}
    start = LoginStart(account_id=ACCOUNT, option="email", destination=NEW_ACCOUNT.email, second_factor="app")
    handle = await flows.start(LoginWorkflow.run, start, prefix="login")
    await handle.execute_update("verify_app_code", flows.senders.code_digest(handle.id, "000000"), result_type=FlowView)
    await handle.execute_update("use_recovery_code", result_type=FlowView)
    await handle.execute_update("verify_recovery_code", "a" * 64, result_type=FlowView)
    return await finished(handle)


async def record_login_passkey(flows: Flows) -> str:
    """A passkey user: a recovery code screen and back, a refused answer, then the passkey."""
    flows.authenticator.passkeys[ACCOUNT] = ["Work laptop"]
    start = LoginStart(account_id=ACCOUNT, option="email", destination=NEW_ACCOUNT.email, second_factor="passkey")
    handle = await flows.start(LoginWorkflow.run, start, prefix="login")
    await handle.execute_update("use_recovery_code", result_type=FlowView)
    await handle.execute_update("use_second_factor", result_type=FlowView)
    await handle.execute_update("answer_passkey", PasskeyEntry(signed(5)), result_type=FlowView)
    await handle.execute_update("answer_passkey", PasskeyEntry(signed(1)), result_type=FlowView)
    return await finished(handle)


async def record_passkey_login(flows: Flows) -> str:
    """Sign in with a passkey alone: an answer refused, then the passkey names its account."""
    flows.authenticator.passkeys[ACCOUNT] = ["Work laptop"]
    handle = await flows.start(PasskeyLoginWorkflow.run, PasskeyLoginStart(claim="c" * 64), prefix="passkey_login")
    await handle.execute_update("answer_passkey", PasskeyEntry("{}"), result_type=FlowView)
    await handle.execute_update("answer_passkey", PasskeyEntry(signed(1)), result_type=FlowView)
    await handle.result()
    return (await handle.fetch_history()).to_json()


async def record_security_notice(flows: Flows) -> str:
    notice = SecurityNotice(ACCOUNT, NoticeTemplate.RECOVERY_CODES_ISSUED, NEW_ACCOUNT.email)
    handle = await flows.start_without_screen(SecurityNoticeWorkflow.run, notice, prefix="security_notice")
    await handle.result()
    return (await handle.fetch_history()).to_json()


RECORDINGS = {
    "enrollment_app.json": record_enrollment_app,
    "enrollment_passkey.json": record_enrollment_passkey,
    "login_app.json": record_login_app,
    "login_passkey.json": record_login_passkey,
    "security_notice.json": record_security_notice,
    "passkey_login.json": record_passkey_login,
}
