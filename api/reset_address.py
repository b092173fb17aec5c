"""The address a password reset was started for, as the edge keeps it: a keyed digest of the
address typed (wrong codes count against it, across every reset started for it — a throttle
table full of email addresses would be PII nobody needs), in a signed cookie that names the
reset's flow, so it cannot be moved to another reset."""

from __future__ import annotations

from fastapi import Request, Response

from api import cookies
from api.flows import FlowGone
from domain import digests

ADDRESS_COOKIE = "atrezzo_password_reset_address"
_ADDRESS_KEY = "password-reset-addresses"


def address_key(request: Request, address: str) -> str:
    key = digests.derive_key(request.app.state.resources.settings.secret_key, _ADDRESS_KEY)
    return digests.token_digest(key, address.casefold())


def keep(request: Request, response: Response, flow_id: str, key: str) -> None:
    cookies.write(response, request, ADDRESS_COOKIE, request.app.state.signer.sign(f"{flow_id} {key}"))


def bound_address(request: Request, flow_id: str) -> str:
    """The address this flow was started for comes from its cookie, which names the flow: a
    cookie from another flow, or none, means this browser did not start this reset."""
    bound = request.app.state.signer.unsign(cookies.read(request, ADDRESS_COOKIE)) or ""
    bound_flow, _, key = bound.partition(" ")
    if bound_flow != flow_id or not digests.is_digest(key):
        raise FlowGone()
    return key


def forget(request: Request, response: Response) -> None:
    cookies.forget(response, request, ADDRESS_COOKIE)
