"""The sign-in a finished flow hands to the browser that finished it (enrollment, login,
password reset): claimed once from the flow, and turned into a session only for the account
the edge knew the flow to be for — the one whose password it checked, or whose emailed link
was followed — and, where it matters, only if that account's sign-ins were not ended (a
password or admin reset, disabling) since the flow was bound to this browser."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from uuid import UUID

from fastapi import Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from api.client_address import client_ip
from api.flow_queries import query_flow
from api.flows import Binding, Flows, is_api
from api.sessions import SignInRefused, sign_in
from api.view_json import view_json
from domain.digests import COOKIE_KEY, derive_key, token_digest
from engine.codec import PayloadRefused
from store import audit
from store.sessions import CLAIM_REPEAT_WINDOW, ClaimUsed
from workflows.flow import FlowView
from workflows.sign_in_hand_over import ClaimedSignIn

REFUSED = "This sign-in could not be completed. Please log in again."
HOME = "/home"
SIGNED_IN_ALREADY = "You are signed in already."
SIGN_IN_REFUSED = "/?notice=sign_in_refused"
# Signs the browser in on the answer it is given (or answers otherwise); None: claimed already.
SignIn = Callable[[Response], Awaitable[Response | None]]


async def claim_sign_in(request: Request, flow_id: str, bound: Binding | None = None) -> str | None:
    """The account a finished flow hands to the browser that finished it, or None when it
    was claimed already (the flow refuses a second claim, or has ended after the first) —
    unless by this same browser moments ago: the answer to its claim was lost on the way (the
    API process died mid-request), and the person pressed again."""
    client = await request.app.state.resources.temporal()
    handle = client.get_workflow_handle(flow_id)
    claim = claim_digest(request, bound)
    try:
        return await handle.execute_update("claim_sign_in", claim, result_type=str)
    except WorkflowUpdateFailedError:
        pass
    except RPCError as exc:
        if exc.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise
    if not claim:
        return None
    try:
        # A query reaches a flow that has ended too: a worker replays its history to answer.
        taken = await query_flow(handle, "repeat_claim", [claim], ClaimedSignIn | None)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    if taken is None or datetime.now(timezone.utc) - taken.claimed_at > CLAIM_REPEAT_WINDOW:
        return None
    return taken.account_id


def claim_digest(request: Request, bound: Binding | None) -> str:
    """What only the browser bound to the flow can make the API send: a digest of its binding
    (of its claim seed, when it has one)."""
    if bound is None:
        return ""
    if bound.claim_seed:
        return seeded_claim(request, bound.claim_seed)
    key = derive_key(request.app.state.resources.settings.secret_key, COOKIE_KEY)
    return token_digest(key, f"claim {bound.flow_id} {bound.account_id} {bound.bound_at.isoformat()}")


def new_claim_seed() -> str:
    """For a flow that learns its browser's claim before its id is known: the browser is then
    bound with this seed (``Flows.bind``), from which ``seeded_claim`` makes the claim."""
    return secrets.token_urlsafe(16)


def seeded_claim(request: Request, seed: str) -> str:
    key = derive_key(request.app.state.resources.settings.secret_key, COOKIE_KEY)
    return token_digest(key, f"claim seed {seed}")


async def sign_in_from_flow(
    request: Request, response: Response, flow_id: str, bound: Binding | None, *, since_binding: bool = True,
    granted: str = "",
) -> str | None:
    """Sign the browser in as the account ``flow_id`` hands over; None when it was claimed
    already. SignInRefused (audited) as ``claim_bound`` says, or when the account may not
    sign in now. ``since_binding`` False: the flow itself ended the account's other sign-ins
    (a password reset), so its own may follow. ``granted`` may be a sign-in the edge held (a
    Login with Email's, from "E-mail address verified" to Continue): the claim's first session
    says whether it was used (store.sessions.create_session)."""
    account_id = await claim_bound(request, flow_id, bound, granted)
    if account_id is not None:
        assert bound is not None
        try:
            await sign_in(request, response, account_id, not_before=bound.bound_at if since_binding else None,
                          from_claim=claim_digest(request, bound))
        except ClaimUsed:
            return None
    return account_id


async def signed_in_answer(request: Request, view: FlowView, sign: SignIn, *, already_done: str, claimed_url: str) -> Response:
    """The answer to the browser that finished a flow: its last view (JSON) or home, with the
    session ``sign`` put on it; the refusal (403, or the login page's notice) when the sign-in
    was refused; ``already_done`` (409), or ``claimed_url``, when it was claimed already."""
    shown = view_json(dataclasses.replace(view, grant=""))  # the session is the grant's answer
    response: Response = JSONResponse(shown) if is_api(request) else RedirectResponse(HOME, status_code=303)
    try:
        signed = await sign(response)
    except SignInRefused:
        return refused_answer(request)
    if signed is None:
        return claimed_answer(request, already_done=already_done, claimed_url=claimed_url)
    return signed


def refused_answer(request: Request) -> Response:
    """A finished flow's sign-in was refused: 403, or the login page's notice."""
    if is_api(request):
        return JSONResponse({"detail": REFUSED}, status_code=403)
    return RedirectResponse(SIGN_IN_REFUSED, status_code=303)


def claimed_answer(request: Request, *, already_done: str, claimed_url: str) -> Response:
    """A finished flow's sign-in was claimed already: ``already_done`` (409), or ``claimed_url``."""
    if is_api(request):
        return JSONResponse({"detail": already_done}, status_code=409)
    return RedirectResponse(claimed_url, status_code=303)


def signed_in_already(request: Request) -> Response:
    """The answer to a flow's screen in a browser with no such flow but a session: home."""
    if is_api(request):
        return JSONResponse({"detail": SIGNED_IN_ALREADY}, status_code=409)
    return RedirectResponse(HOME, status_code=303)


async def claim_bound(request: Request, flow_id: str, bound: Binding | None, granted: str = "") -> str | None:
    """The account a finished flow hands over — ``granted`` by the update that finished it,
    or claimed now — if it is the one ``bound`` names; None when it was claimed already.
    SignInRefused (audited) when the flow answers for another account (a flow under a stolen
    id) or in clear (a worker that holds no keys)."""
    try:
        account_id = granted or await claim_sign_in(request, flow_id, bound)
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


async def sign_in_checked(
    request: Request, flows: Flows, process: str, flow_id: str, view: FlowView, checked: UUID | None, *,
    detail: dict[str, object], already_done: str, again_url: str,
) -> Response:
    """For a flow that learns whom it signs in only as it ends (a staff identity, a passkey
    alone): the browser signs in as ``checked`` — the account the edge found itself from what
    this very request carried — and only if the flow hands over that one (not whatever a flow
    under a stolen id may answer); ``login.succeeded`` with ``detail``. The flow is over either
    way: the browser forgets it."""
    bound = flows.binding(request, process, flow_id)
    bound = dataclasses.replace(bound, account_id=str(checked or "")) if bound is not None else None

    async def sign(response: Response) -> Response | None:
        account_id = await sign_in_from_flow(request, response, flow_id, bound, granted=view.grant)
        if account_id is None:
            return None
        pool = await request.app.state.resources.pool()
        async with pool.acquire() as conn:
            entry = {"flow": flow_id, **detail}
            await audit.record(conn, "login.succeeded", subject=UUID(account_id), client_ip=client_ip(request), detail=entry)
        return response

    response = await signed_in_answer(request, view, sign, already_done=already_done, claimed_url=again_url)
    flows.unbind(response, request, process)
    return response
