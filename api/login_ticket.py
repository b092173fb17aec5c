"""What the edge keeps about one login between the password and the session: whose password it
was (to throttle wrong codes per account), whether Remember Me was checked (to set it once the
login is complete), and — once the flow handed its sign-in over at "E-mail address verified" —
that Continue may sign in. It rides in a signed browser-session cookie tied to the login flow's
id, so it cannot be moved to another flow or altered, and it never enters the workflow: Remember
Me is the browser's business, not the flow's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request, Response

from api.flows import Binding, FlowGone, from_millis, to_millis
from api import cookies

TICKET_COOKIE = "atrezzo_login_ticket"


@dataclass(frozen=True)
class LoginTicket:
    # The login flow, whose password was checked, and when: a reset of the account's sign-ins
    # after that moment ends this login.
    binding: Binding
    remember: bool
    # Set when the flow handed this browser its sign-in at "E-mail address verified": when, and
    # the option (Remember Me is per option). Continue makes a session of it.
    verified_at: datetime | None = None
    option: str = ""


def issue(request: Request, response: Response, ticket: LoginTicket) -> None:
    bound = ticket.binding
    parts = [bound.flow_id, bound.account_id, "1" if ticket.remember else "0", str(to_millis(bound.bound_at))]
    if ticket.verified_at is not None:
        parts += [ticket.option, str(to_millis(ticket.verified_at))]
    cookies.write(response, request, TICKET_COOKIE, request.app.state.signer.sign("|".join(parts)))


def read(request: Request, flow_id: str) -> LoginTicket | None:
    """The ticket of ``flow_id``; None when the cookie is missing, forged, or another flow's."""
    value = request.app.state.signer.unsign(cookies.read(request, TICKET_COOKIE))
    parts = value.split("|") if value else []
    if len(parts) not in (4, 6) or parts[0] != flow_id or not all(part.isdigit() for part in parts[3::2]):
        return None
    binding = Binding(parts[0], parts[1], from_millis(int(parts[3])))
    if len(parts) == 4:
        return LoginTicket(binding, remember=parts[2] == "1")
    return LoginTicket(binding, parts[2] == "1", from_millis(int(parts[5])), parts[4])


def of(request: Request, flow_id: str) -> LoginTicket:
    """The ticket of ``flow_id``: issued with the flow's own cookie, so a browser without it did
    not start this login here (FlowGone)."""
    ticket = read(request, flow_id)
    if ticket is None:
        raise FlowGone()
    return ticket


def drop(request: Request, response: Response) -> None:
    cookies.forget(response, request, TICKET_COOKIE)
