"""A new password at the edge: checked against the policy and the person's own details, then
hashed — both off the event loop — and staged for the flow that asked for it. The flow has the
staged hash applied by its own activity, so the hash never rides in a workflow update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from fastapi import Request
from pydantic import BaseModel, SecretStr
from starlette.concurrency import run_in_threadpool

from api.password_work import PasswordWork, password_work
from domain.passwords import check_password_policy
from store import staged_passwords
from store.accounts import Account
from workflows.flow import FlowView


class PasswordBody(BaseModel):
    """New Password and Confirm New Password."""

    password: SecretStr
    confirm_password: SecretStr


async def hashed_new_password(
    work: PasswordWork, account: Account | None, password: str, confirm: str, *, also_known: Sequence[str] = ()
) -> str:
    """The hash of an acceptable ``password``; FieldError (for the screen) otherwise."""
    known = [account.username, account.email or "", account.first_name, account.last_name] if account else []
    # zxcvbn and argon2id take tens of milliseconds of CPU each: keep them off the event loop.
    await run_in_threadpool(check_password_policy, password, confirm, user_inputs=[*known, *also_known])
    return await work.hash(password)


async def set_through_flow(
    request: Request,
    flow_id: str,
    account: Account,
    typed: PasswordBody,
    save: Callable[[], Awaitable[FlowView]],
    *,
    also_known: Sequence[str] = (),
) -> FlowView:
    """Check and hash the password (FieldError when it will not do), stage the hash for
    ``flow_id``, and let the flow's ``save`` step apply it. Whatever the flow answered, the
    staged hash is gone afterwards."""
    password, confirm = typed.password.get_secret_value(), typed.confirm_password.get_secret_value()
    password_hash = await hashed_new_password(password_work(request), account, password, confirm, also_known=also_known)
    pool = await request.app.state.resources.pool()
    async with pool.acquire() as conn:
        await staged_passwords.stage(conn, flow_id, account.id, password_hash)
    try:
        return await save()
    finally:
        async with pool.acquire() as conn:
            await staged_passwords.discard(conn, flow_id)
