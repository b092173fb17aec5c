"""What the edge keeps about one login between the password and the second factor: whose
password it was (to throttle wrong codes per account) and whether Remember Me was checked
(to set it once the login is complete). It rides in a signed browser-session cookie tied to
the login flow's id, so it cannot be moved to another flow or altered, and it never enters
the workflow: Remember Me is the browser's business, not the flow's."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response

from api.flows import Binding, from_millis, to_millis
from api import cookies

TICKET_COOKIE = "atrezzo_login_ticket"


@dataclass(frozen=True)
class LoginTicket:
    # The login flow, whose password was checked, and when: a reset of the account's sign-ins
    # after that moment ends this login.
    binding: Binding
    remember: bool


def issue(request: Request, response: Response, ticket: LoginTicket) -> None:
    bound = ticket.binding
    value = f"{bound.flow_id}|{bound.account_id}|{'1' if ticket.remember else '0'}|{to_millis(bound.bound_at)}"
    cookies.write(response, request, TICKET_COOKIE, request.app.state.signer.sign(value))


def read(request: Request, flow_id: str) -> LoginTicket | None:
    """The ticket of ``flow_id``; None when the cookie is missing, forged, or another flow's."""
    value = request.app.state.signer.unsign(cookies.read(request, TICKET_COOKIE))
    parts = value.split("|") if value else []
    if len(parts) != 4 or parts[0] != flow_id or not parts[3].isdigit():
        return None
    return LoginTicket(Binding(parts[0], parts[1], from_millis(int(parts[3]))), remember=parts[2] == "1")


def drop(request: Request, response: Response) -> None:
    cookies.forget(response, request, TICKET_COOKIE)
