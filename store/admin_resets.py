"""The admin reset flow's record of itself, one row per run: pending until the user has
registered MFA again, the link's life ran out, an operator cancelled it, or a new reset
replaced it. Each write is safe to repeat (activities are retried)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from store import authenticator_apps, passkeys, recovery_codes
from store.sql import query

ENDED_STATES = ("re_registered", "expired", "cancelled", "restarted")


async def open_reset(
    conn: asyncpg.Connection, *, user_id: UUID, requested_by: UUID | None, requested_at: datetime, flow_id: str, run_id: str
) -> bool:
    """Mark the user's reset pending; False when this run had done so already (a retry).
    Run it in a transaction: an older pending reset of the same user, left behind by a run
    stopped without its cleanup, is closed first."""
    await conn.execute(query("admin_resets/close_others"), user_id, run_id)
    row_id = await conn.fetchval(query("admin_resets/open"), user_id, requested_by, flow_id, requested_at, run_id)
    return row_id is not None


async def close_reset(conn: asyncpg.Connection, run_id: str, state: str) -> UUID | None:
    """End this run's reset in ``state``; the user's id, or None when it had ended already."""
    if state not in ENDED_STATES:
        raise ValueError(f"an admin reset ends as one of {ENDED_STATES}, not {state!r}")
    return await conn.fetchval(query("admin_resets/close"), run_id, state)


async def clear_mfa(conn: asyncpg.Connection, user_id: UUID) -> bool:
    """Forget the user's MFA method and phone, app, passkeys and recovery codes; False when there is no such user."""
    if await conn.fetchval(query("admin_resets/clear_mfa"), user_id) is None:
        return False
    # The app, the passkeys and the recovery codes go with the method: the next enrollment starts clean.
    await authenticator_apps.remove(conn, user_id)
    await passkeys.remove_all(conn, user_id)
    await recovery_codes.remove(conn, user_id)
    return True
