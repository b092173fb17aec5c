"""Saving the new password a person typed, from the flow that asked for it (enrollment's
Create, a reset's Continue). The edge checked it, hashed it and staged the hash for the flow;
the flow only has it applied, so no hash ever travels through history.

Flows started before staging carried the hash in an update's argument (enrollment's
``set_password``, a reset's ``set_new_password``). Those updates stay so the flows' histories
replay (tests/replay), and are refused for everyone."""

from __future__ import annotations

from typing import NoReturn

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import NewPassword, StagedPassword
    from activities.postgres import AccountActivities
    from workflows.database_steps import database_step
    from workflows.flow import field_error
    from workflows.versions import AUDITED_WRITES, patched

PASSWORD_NOT_ACCEPTED = "The password could not be accepted. Please try again."


async def apply_staged_password(saved: StagedPassword) -> tuple[bool, bool]:
    """Has the hash staged for this flow applied: (applied, audited). Audited: the password,
    its audit row and the end of other sign-ins were written in one transaction. A flow started
    before that (``AUDITED_WRITES``) applies the password alone and audits it itself."""
    if patched(AUDITED_WRITES):
        return await database_step(AccountActivities.save_staged_password, saved), True
    return await database_step(AccountActivities.apply_staged_password, saved.account_id), False


async def save_hash_from_update(account_id: str, password_hash: str) -> None:
    """What an old flow's update did with the hash in its argument (replay only)."""
    await database_step(AccountActivities.set_account_password, NewPassword(account_id, password_hash))


def refuse_hash_from_update() -> NoReturn:
    raise field_error("password", PASSWORD_NOT_ACCEPTED)
