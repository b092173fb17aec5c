"""What the flows' PostgreSQL activities share: a pooled connection whose refusals come back
as failures Temporal will not retry, a one-account UPDATE, and the audit row written once per
scheduled activity."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import asyncpg
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.attempts import this_activity
from store import audit
from store.sql import query

INVALID_ACCOUNT_ID = "InvalidAccountId"
ACCOUNT_NOT_FOUND = "AccountNotFound"
INVALID_ACCOUNT_DATA = "InvalidAccountData"


class PostgresSteps:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def _update(self, name: str, account_id: str, *values: str, conn: asyncpg.Connection | None = None) -> None:
        """Run an UPDATE ... RETURNING id on one account (on ``conn``, inside its transaction,
        when given); a missing account fails for good."""
        if conn is None:
            async with self._connection() as own:
                return await self._update(name, account_id, *values, conn=own)
        if await conn.fetchval(query(name), account_uuid(account_id), *values) is None:
            raise ApplicationError(f"No account {account_id}.", type=ACCOUNT_NOT_FOUND, non_retryable=True)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            async with self._pool.acquire() as conn:
                yield conn
        except asyncpg.UniqueViolationError:
            raise  # a taken value: the activity turns it into an Outcome
        except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError) as exc:
            # Retrying cannot make the data acceptable. Only the rule's name goes out: the
            # database's message can quote the row, with its email and phone.
            rule = getattr(exc, "constraint_name", None) or type(exc).__name__
            raise invalid(f"The database refused the change ({rule}).") from None


async def audit_once(conn: asyncpg.Connection, event: str, **fields) -> None:
    """An audit row written once per scheduled activity and event: a retry of a write that had
    committed (its worker died, or Temporal was away when it finished) records nothing twice."""
    once_per = f"{this_activity()}/{event}" if activity.in_activity() else None
    await audit.record(conn, event, once_per=once_per, **fields)


def flow_detail(**detail) -> dict:
    """An audit row's detail: the flow whose activity wrote it, and ``detail``."""
    return {"flow": activity.info().workflow_id or "", **detail}


def account_uuid(account_id: str) -> UUID:
    try:
        return UUID(account_id)
    except (TypeError, ValueError):
        raise ApplicationError(
            # The value is not echoed: a caller's mistake might have put an email here.
            "An account id is a UUID.", type=INVALID_ACCOUNT_ID, non_retryable=True
        ) from None


def invalid(message: str) -> ApplicationError:
    return ApplicationError(message, type=INVALID_ACCOUNT_DATA, non_retryable=True)
