"""What the edge keeps about one login between the password and the second factor: whose
password it was (to throttle wrong codes per account) and whether Remember Me was checked
(to set it once the login is complete). It rides in a signed browser-session cookie tied to
the login flow's id, so it cannot be moved to another flow or altered, and it never enters
the workflow: Remember Me is the browser's business, not the flow's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request, Response

from api.flows import Binding, bound_now, from_millis, to_millis
from api import cookies

TICKET_COOKIE = "atrezzo_login_ticket"


@dataclass(frozen=True)
class LoginTicket:
    flow_id: str
    account_id: str
    remember: bool
    # When the password was checked: a reset of the account's sign-ins after it ends this login.
    issued_at: datetime = field(default_factory=bound_now)

    @property
    def binding(self) -> Binding:
        return Binding(self.flow_id, self.account_id, self.issued_at)


def issue(request: Request, response: Response, ticket: LoginTicket) -> None:
    issued = to_millis(ticket.issued_at)
    value = f"{ticket.flow_id}|{ticket.account_id}|{'1' if ticket.remember else '0'}|{issued}"
    cookies.write(response, request, TICKET_COOKIE, request.app.state.signer.sign(value))


def read(request: Request, flow_id: str) -> LoginTicket | None:
    """The ticket of ``flow_id``; None when the cookie is missing, forged, or another flow's."""
    value = request.app.state.signer.unsign(cookies.read(request, TICKET_COOKIE))
    parts = value.split("|") if value else []
    if len(parts) != 4 or parts[0] != flow_id or not parts[3].isdigit():
        return None
    issued_at = from_millis(int(parts[3]))
    return LoginTicket(flow_id=parts[0], account_id=parts[1], remember=parts[2] == "1", issued_at=issued_at)


def drop(request: Request, response: Response) -> None:
    cookies.forget(response, request, TICKET_COOKIE)
