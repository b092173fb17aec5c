"""The sign-in a finished flow hands to the browser that finished it (enrollment, login,
password reset): claimed once from the flow, and turned into a session only for the account
the edge knew the flow to be for — the one whose password it checked, or whose emailed link
was followed — and, where it matters, only if that account's sign-ins were not ended (a
password or admin reset, disabling) since the flow was bound to this browser."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request, Response
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.client_address import client_ip
from api.flows import Binding
from api.sessions import SignInRefused, sign_in
from engine.codec import PayloadRefused
from store import audit

REFUSED = "This sign-in could not be completed. Please log in again."


async def claim_sign_in(request: Request, flow_id: str) -> str | None:
    """The account a finished flow hands to the browser that finished it, or None when it
    was claimed already (the flow refuses a second claim, or has ended after the first)."""
    client = await request.app.state.resources.temporal()
    try:
        return await client.get_workflow_handle(flow_id).execute_update("claim_sign_in", result_type=str)
    except WorkflowUpdateFailedError:
        return None
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            return None
        raise


async def sign_in_from_flow(
    request: Request, response: Response, flow_id: str, bound: Binding | None, *, since_binding: bool = True
) -> str | None:
    """Sign the browser in as the account ``flow_id`` hands over; None when it was claimed
    already. SignInRefused (audited) as ``claim_bound`` says, or when the account may not
    sign in now. ``since_binding`` False: the flow itself ended the account's other sign-ins
    (a password reset), so its own may follow."""
    account_id = await claim_bound(request, flow_id, bound)
    if account_id is not None:
        assert bound is not None
        await sign_in(request, response, account_id, not_before=bound.bound_at if since_binding else None)
    return account_id


async def claim_bound(request: Request, flow_id: str, bound: Binding | None) -> str | None:
    """The account a finished flow hands over, if it is the one ``bound`` names; None when it
    was claimed already. SignInRefused (audited) when the flow answers for another account (a
    flow under a stolen id) or in clear (a worker that holds no keys)."""
    try:
        account_id = await claim_sign_in(request, flow_id)
    except PayloadRefused:
        await _refused(request, flow_id, None, "not_encrypted")
        raise SignInRefused("not_encrypted") from None
    if account_id is None:
        return None
    if bound is None or account_id != bound.account_id:
        await _refused(request, flow_id, bound, "another_account")
        raise SignInRefused("another_account")
    return account_id


async def _refused(request: Request, flow_id: str, bound: Binding | None, reason: str) -> None:
    pool = await request.app.state.resources.pool()
    subject = UUID(bound.account_id) if bound is not None and bound.account_id else None
    async with pool.acquire() as conn:
        detail = {"flow": flow_id, "reason": reason}
        await audit.record(conn, "session.refused", subject=subject, client_ip=client_ip(request), detail=detail)
