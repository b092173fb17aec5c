"""A typed one-time code, checked by its flow and throttled at the edge: every flow limits the
tries per code, and this limits the tries per account (or address) and per client across
flows, which each new flow would otherwise restart. The attempt is reserved before the flow
sees the code, so parallel guesses cannot slip past the count."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from fastapi import Request
from pydantic import BaseModel

from api.client_address import client_ip
from api.flows import Flows
from api.throttling import Policy, Throttled, reserve, too_many_attempts
from domain import digests
from store import audit
from workflows.code_challenge import NOT_SIX_DIGITS, Outcome
from workflows.code_step import CodeStep
from workflows.flow import FlowView

# What the flow answers after comparing a code: these were guesses. Anything else (no code
# sent yet, an expired code, not six digits) checked nothing and is given back.
GUESSED = (Outcome.WRONG.value, Outcome.LOCKED.value)
# The edge's own refusals of a typed code.
THROTTLED = "throttled"


class CodeBody(BaseModel):
    """Verification Code, Verify code."""

    code: str


class ChannelBody(BaseModel):
    """Send Code or Call Me, to a number the flow already has."""

    channel: str  # "sms" (Send Code) | "voice" (Call Me)


@dataclasses.dataclass(frozen=True)
class CodeCheck:
    policy: Policy
    subject: str  # what the count is about: the account id, or the address's digest
    events: str  # the audit events' prefix: "login" records login.code_failed, login.locked_out
    account: UUID | None = None  # the audit entry's subject, when the account is known


async def verify_throttled(
    request: Request, flows: Flows, flow_id: str, typed: str, check: CodeCheck, *, update: Any = CodeStep.verify_code
) -> FlowView:
    """The typed code's digest sent to the flow's ``update`` (a sent code's, or the
    authenticator app's), counted as a guess unless the flow says it checked nothing."""
    return await throttled_guess(request, flows, flow_id, check, lambda: verify_code(request, flows, flow_id, typed, update))


async def throttled_guess(
    request: Request, flows: Flows, flow_id: str, check: CodeCheck, guess: Callable[[], Awaitable[FlowView]]
) -> FlowView:
    """``guess`` (it sends the flow something typed to compare), with the attempt reserved
    first and, when the flow found it wrong, audited and counted toward a lockout."""
    try:
        attempt = await reserve(request, check.policy, check.subject)
    except Throttled as throttled:
        return (await flows.view(flow_id)).refused("code", throttled.message, THROTTLED)
    view = await guess()
    if not view.errors:
        await attempt.succeeded()
        return view
    if view.error_codes.get("code") not in GUESSED:
        await attempt.uncounted()
        return view
    pool = await request.app.state.resources.pool()
    ip = client_ip(request)
    async with pool.acquire() as conn, conn.transaction():
        await audit.record(conn, f"{check.events}.code_failed", subject=check.account, client_ip=ip, detail={"flow": flow_id})
        if attempt.locks_for is not None:
            detail = {"flow": flow_id, "seconds": int(attempt.locks_for.total_seconds())}
            await audit.record(conn, f"{check.events}.locked_out", subject=check.account, client_ip=ip, detail=detail)
    if attempt.locks_for is not None:
        return view.refused("code", too_many_attempts(attempt.locks_for), THROTTLED)
    return view


async def verify_code(
    request: Request, flows: Flows, flow_id: str, typed: str, update: Any = CodeStep.verify_code
) -> FlowView:
    """Hash the code the person typed at the edge: only its digest reaches the flow."""
    code = digests.normalise_code(typed)
    if code is None:
        return (await flows.view(flow_id)).refused("code", "Enter the 6-digit code.", NOT_SIX_DIGITS)
    key = digests.derive_key(request.app.state.resources.settings.secret_key, digests.CODE_KEY)
    return await flows.update(flow_id, update, digests.code_digest(key, flow_id, code))
