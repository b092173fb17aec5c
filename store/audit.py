"""The append-only audit trail of security events (the table refuses UPDATE and DELETE)."""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from store.sql import query

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


async def record(
    conn: asyncpg.Connection,
    event: str,
    *,
    actor: UUID | None = None,
    subject: UUID | None = None,
    client_ip: str | IpAddress | None = None,
    detail: dict[str, Any] | None = None,
    once_per: str | None = None,
) -> int | None:
    """Append one event, e.g. record(conn, "login.failed", subject=user_id); returns its id.

    ``detail`` must never carry a password, code, token or digest: the trail is read by
    support staff and kept for years. ``once_per``: a key this event is written once for (a
    workflow activity's, activities/postgres_steps.py); None, and nothing, when it already was.
    """
    if not event.strip():
        raise ValueError("an audit event needs a name, such as 'login.failed'")
    if detail is not None and not isinstance(detail, dict):
        raise TypeError("audit detail is a dict of JSON values")
    ip = ipaddress.ip_address(client_ip) if isinstance(client_ip, str) else client_ip
    return await conn.fetchval(
        query("audit/record"), event, actor, subject, ip, json.dumps(detail or {}), once_per
    )


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    event: str
    actor_user_id: UUID | None
    actor_username: str | None
    subject_user_id: UUID | None
    client_ip: str | None
    detail: dict[str, Any]


async def trail(conn: asyncpg.Connection, user_id: UUID, *, limit: int = 50, before_id: int | None = None) -> list[AuditEvent]:
    """Events about ``user_id`` or done by them, newest first; ``before_id`` pages back."""
    rows = await conn.fetch(query("audit/trail"), user_id, before_id, limit)
    return [AuditEvent(**{**dict(row), "detail": json.loads(row["detail"])}) for row in rows]
