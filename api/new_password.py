"""A new password at the edge: checked against the policy and the person's own details, then
hashed — both off the event loop. Only the argon2id hash goes on to a flow."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool

from domain.passwords import check_password_policy, hash_password
from store.accounts import Account


async def hashed_new_password(
    account: Account | None, password: str, confirm: str, *, also_known: Sequence[str] = ()
) -> str:
    """The hash of an acceptable ``password``; FieldError (for the screen) otherwise."""
    known = [account.username, account.email or "", account.first_name, account.last_name] if account else []
    # zxcvbn and argon2id take tens of milliseconds of CPU each: keep them off the event loop.
    await run_in_threadpool(check_password_policy, password, confirm, user_inputs=[*known, *also_known])
    return await run_in_threadpool(hash_password, password)
