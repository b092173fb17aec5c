"""What the edge keeps about one login between the password and the second factor: whose
password it was (to throttle wrong codes per account) and whether Remember Me was checked
(to set it once the login is complete). It rides in a signed browser-session cookie tied to
the login flow's id, so it cannot be moved to another flow or altered, and it never enters
the workflow: Remember Me is the browser's business, not the flow's."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request, Response

from api.security import cookie_flags

TICKET_COOKIE = "atrezzo_login_ticket"


@dataclass(frozen=True)
class LoginTicket:
    flow_id: str
    account_id: str
    remember: bool


def issue(request: Request, response: Response, ticket: LoginTicket) -> None:
    value = f"{ticket.flow_id}|{ticket.account_id}|{'1' if ticket.remember else '0'}"
    response.set_cookie(TICKET_COOKIE, request.app.state.signer.sign(value), **cookie_flags(request))


def read(request: Request, flow_id: str) -> LoginTicket | None:
    """The ticket of ``flow_id``; None when the cookie is missing, forged, or another flow's."""
    value = request.app.state.signer.unsign(request.cookies.get(TICKET_COOKIE))
    parts = value.split("|") if value else []
    if len(parts) != 3 or parts[0] != flow_id:
        return None
    return LoginTicket(flow_id=parts[0], account_id=parts[1], remember=parts[2] == "1")


def drop(request: Request, response: Response) -> None:
    flags = cookie_flags(request)
    response.delete_cookie(TICKET_COOKIE, path=flags["path"], secure=flags["secure"], httponly=True, samesite="lax")
