"""The end of a login (guide Sections 3 to 5): the browser that passed the second factor is
signed in, once, and remembered for the option if Remember Me was checked. A Login with Email's
flow ends at "E-mail address verified" and hands its sign-in to the edge, which keeps it in the
login's ticket (api/login_ticket.py) until Continue — "Login will complete and the home screen
will display" — makes it a session with no call to the engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from uuid import UUID

from fastapi import Request, Response

from api import login_ticket
from api.client_address import client_ip
from api.flow_sign_in import claim_bound, claimed_answer, refused_answer, sign_in_from_flow, signed_in_answer
from api.flows import FlowGone, Flows
from api.login_ticket import LoginTicket
from api.remember_me import remember
from api.sessions import SignInRefused
from settings import Settings
from store import audit
from workflows.flow import FlowView
from workflows.login import PROCESS, LoginView, LoginWorkflow
from workflows.steps import DONE, LoginStep

ALREADY_DONE = "This login is already complete."


async def complete(request: Request, flows: Flows, flow_id: str, view: FlowView) -> Response:
    """The second factor passed: the browser that passed it is signed in, once — as the
    account whose password it gave, if no reset ended that account's sign-ins since — and
    remembered for this option if the box was checked. A Login with Email shows "E-mail address
    verified" first and signs in at Continue."""
    ticket = login_ticket.of(request, flow_id)
    if isinstance(view, LoginView) and view.signs_in_at_continue:
        return await _verified(request, flows, flow_id, view, ticket)

    async def sign(response: Response) -> Response | None:
        account_id = await sign_in_from_flow(request, response, flow_id, ticket.binding, granted=view.grant)
        if account_id is None:
            return None
        option = view.option
        if ticket.remember:
            await remember(request, response, account_id, option)
        pool = await request.app.state.resources.pool()
        async with pool.acquire() as conn:
            detail = {"option": option, "flow": flow_id, "remember_me": ticket.remember}
            await audit.record(conn, "login.succeeded", subject=UUID(account_id), client_ip=client_ip(request), detail=detail)
        return response

    return _login_over(request, await signed_in_answer(request, view, sign, already_done=ALREADY_DONE, claimed_url="/"))


async def continue_login(request: Request, flows: Flows, flow_id: str, _typed: None) -> FlowView:
    """Continue: the sign-in the flow handed over at "E-mail address verified" is the view
    ``complete`` turns into a session (the claim's first session makes it once); a run from
    before takes Continue as its last update. Left as long as a login may idle, it is over, as
    the flow would have been."""
    ticket = login_ticket.of(request, flow_id)
    if ticket.verified_at is None:
        return await flows.update(flow_id, LoginWorkflow.continue_login, None)
    settings: Settings = request.app.state.resources.settings
    if datetime.now(timezone.utc) - ticket.verified_at > settings.login_idle_timeout:
        raise FlowGone()
    return LoginView(PROCESS, DONE, status="completed", grant=ticket.binding.account_id, option=ticket.option)


async def _verified(request: Request, flows: Flows, flow_id: str, view: LoginView, ticket: LoginTicket) -> Response:
    """E-mail address verified: the flow has ended and handed this browser its sign-in, which
    the login's ticket keeps until Continue (a reload shows the screen again)."""
    if ticket.verified_at is None:
        try:
            # The grant came with this answer or, when the answer to the press that verified
            # was lost and the person pressed again, is claimed again (api/flow_sign_in.py).
            account_id = await claim_bound(request, flow_id, ticket.binding, view.grant)
        except SignInRefused:
            return _login_over(request, refused_answer(request))
        if account_id is None:
            return _login_over(request, claimed_answer(request, already_done=ALREADY_DONE, claimed_url="/"))
        ticket = replace(ticket, verified_at=datetime.now(timezone.utc), option=view.option)
    shown = replace(view, step=LoginStep.VERIFIED, status="running", grant="")
    response = flows.respond(request, shown, template_dir=PROCESS)
    login_ticket.issue(request, response, ticket)
    return response


def _login_over(request: Request, response: Response) -> Response:
    """The login is over, one way or the other: the browser forgets it."""
    Flows.unbind(response, request, PROCESS)
    login_ticket.drop(request, response)
    return response
