"""The edge's part of the authenticator app, passkeys and recovery codes (issue 10): what must
be shown to the person but never pass through a flow's history — the app's key and QR code
while it is set up, a new set of recovery codes, shown once — the keyed digest a typed
recovery code travels as, a passkey ceremony's options, and the actions of these factors."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from fastapi import Request
from pydantic import BaseModel

from api.client_address import client_ip
from api.code_checks import CodeBody, CodeCheck, throttled_guess, verify_throttled
from api.flow_router import Action
from api.flows import Flows
from domain import authenticator_app, digests, passkeys, recovery_codes
from store import audit, authenticator_apps
from store import passkeys as stored_passkeys
from store import recovery_codes as stored_codes
from store.accounts import account_by_id
from workflows.flow import FlowView
from workflows.passkey_step import PasskeyEntry
from workflows.second_factor import NOT_A_RECOVERY_CODE

# For a flow's action: the throttle its codes count toward, and the account it is for.
CheckOf = Callable[[Request, Flows, str], tuple[CodeCheck, str]]


class RecoveryCodeBody(BaseModel):
    """Recovery code, Sign in (or Continue)."""

    code: str


def second_factor_actions(flow: Any, check_of: CheckOf) -> tuple[Action, ...]:
    """The actions of the app's or a passkey's second factor (workflows/second_factor.py) in a
    process whose flow (``flow``, the workflow class) opts into it: the app's code, the
    passkey, or a recovery code, the codes throttled as every code of that process is."""

    async def app_code(request: Request, flows: Flows, flow_id: str, body: CodeBody) -> FlowView:
        check, _ = check_of(request, flows, flow_id)
        return await verify_throttled(request, flows, flow_id, body.code, check, update=flow.verify_app_code)

    async def recovery_code(request: Request, flows: Flows, flow_id: str, body: RecoveryCodeBody) -> FlowView:
        check, account_id = check_of(request, flows, flow_id)
        digest = recovery_code_digest(request, account_id, body.code) if account_id else None
        if digest is None:
            return (await flows.view(flow_id)).refused("code", NOT_A_RECOVERY_CODE, "not_a_recovery_code")
        return await throttled_guess(
            request, flows, flow_id, check, lambda: flows.update(flow_id, flow.verify_recovery_code, digest)
        )

    return (
        Action("app/verify", "Code from your authenticator app, Verify code", body=CodeBody, edge=app_code),
        Action("recovery-code", "Use a recovery code instead of the app or passkey", flow.use_recovery_code),
        Action("recovery-code/verify", "Recovery code, Sign in (login) or Continue (password reset)",
               body=RecoveryCodeBody, edge=recovery_code),
        Action("factor", "Back to the app's code or the passkey", flow.use_second_factor),
        passkey_action(flow),
    )


class PasskeyBody(BaseModel):
    """A passkey ceremony's answer: what the browser's navigator.credentials call gave, as
    PublicKeyCredential.toJSON() makes it."""

    credential: str


class NewPasskeyBody(PasskeyBody):
    """A new passkey: the browser's answer, and the name the person gave it."""

    name: str = ""


def dressed_for_passkey(check_of: CheckOf) -> Callable[[Request, Flows, str, FlowView], Awaitable[FlowView]]:
    """A process's ``dressed`` (api/flow_router.py): its passkey screen gets the ceremony's options."""

    async def dressed(request: Request, flows: Flows, flow_id: str, view: FlowView) -> FlowView:
        if view.step != "passkey":
            return view
        _, account_id = check_of(request, flows, flow_id)
        return await with_passkey_options(request, flow_id, view, account_id, new=False)

    return dressed


# What the edge does with the flow's answer to a passkey, before it is shown.
Then = Callable[[Request, str, FlowView], Awaitable[FlowView]]


def passkey_action(flow: Any, *, new: bool = False, then: Then | None = None) -> Action:
    """The passkey screen's action: a new passkey (with its name), or one of the person's."""

    async def answer(request: Request, flows: Flows, flow_id: str, body: PasskeyBody) -> FlowView:
        name = body.name if isinstance(body, NewPasskeyBody) else ""
        view = await flows.update(flow_id, flow.answer_passkey, PasskeyEntry(body.credential, name))
        return await then(request, flow_id, view) if then is not None else view

    summary = "Passkey: the browser's answer to the screen's passkey_options" + (", and its name" if new else "")
    return Action("passkey", summary, body=NewPasskeyBody if new else PasskeyBody, edge=answer)


async def with_passkey_options(
    request: Request, flow_id: str, view: FlowView, account_id: str, *, new: bool, anyone: bool = False
) -> FlowView:
    """``view`` with the options of its passkey ceremony: to make a new passkey for
    ``account_id`` (``new``), to sign with one of theirs, or (``anyone``) with any passkey
    the browser holds for this site."""
    resources = request.app.state.resources
    rp = passkeys.RelyingParty.of(resources.settings.public_base_url)
    if rp is None or not (account_id or anyone):
        return view
    key = digests.derive_key(resources.settings.secret_key, passkeys.CHALLENGE_KEY)
    challenge = passkeys.challenge(key, flow_id, view.passkey_ceremony)
    if anyone:
        return dataclasses.replace(view, passkey_options=passkeys.request_options(rp, challenge, []))
    pool = await resources.pool()
    async with pool.acquire() as conn:
        theirs = await stored_passkeys.ids_of(conn, UUID(account_id))
        account = await account_by_id(conn, account_id) if new else None
    if new and account is not None:
        display = f"{account.first_name} {account.last_name}"
        # The user handle is the account's id: it names no one (a passkey's user.id must not hold PII).
        name = account.email or account.username
        options = passkeys.creation_options(rp, challenge, UUID(account_id).bytes, name, display, theirs)
    else:
        options = passkeys.request_options(rp, challenge, theirs)
    return dataclasses.replace(view, passkey_options=options)


async def with_app_setup(request: Request, view: FlowView, account_id: str) -> FlowView:
    """``view`` with the key and otpauth address of the app being set up for ``account_id``
    (for the screen's QR code, or a JSON client's own)."""
    resources = request.app.state.resources
    pool = await resources.pool()
    user_id = UUID(account_id)
    async with pool.acquire() as conn:
        sealed = await authenticator_apps.pending(conn, user_id)
        account = await account_by_id(conn, account_id)
    if sealed is None or account is None:
        return view
    key = digests.derive_key(resources.settings.secret_key, authenticator_app.SEAL_KEY)
    secret = authenticator_app.unseal(key, str(user_id), sealed)
    uri = authenticator_app.setup_uri(secret, account.email or account.username)
    return dataclasses.replace(view, app_key=authenticator_app.grouped(secret), app_uri=uri)


async def issue_recovery_codes(request: Request, account_id: str, *, flow_id: str = "") -> list[str]:
    """A new set of recovery codes for the account, in place of any before it: their digests
    and the audit row in one transaction. The codes themselves are only in the answer."""
    codes = recovery_codes.new_codes()
    resources = request.app.state.resources
    key = digests.derive_key(resources.settings.secret_key, recovery_codes.DIGEST_KEY)
    user_id = UUID(account_id)
    pool = await resources.pool()
    async with pool.acquire() as conn, conn.transaction():
        await stored_codes.replace(conn, user_id, [recovery_codes.digest(key, account_id, code) for code in codes])
        detail = {"flow": flow_id} if flow_id else {}
        await audit.record(conn, "recovery_codes.issued", subject=user_id, client_ip=client_ip(request), detail=detail)
    return codes


def recovery_code_digest(request: Request, account_id: str, typed: str) -> str | None:
    """What a typed recovery code travels as; None when it is no recovery code at all."""
    code = recovery_codes.normalise(typed)
    if code is None:
        return None
    key = digests.derive_key(request.app.state.resources.settings.secret_key, recovery_codes.DIGEST_KEY)
    return recovery_codes.digest(key, account_id, code)
