"""The append-only audit trail of security events (the table refuses UPDATE and DELETE)."""

from __future__ import annotations

import ipaddress
import json
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
) -> int:
    """Append one event, e.g. record(conn, "login.failed", subject=user_id); returns its id.

    ``detail`` must never carry a password, code, token or digest: the trail is read by
    support staff and kept for years.
    """
    if not event.strip():
        raise ValueError("an audit event needs a name, such as 'login.failed'")
    if detail is not None and not isinstance(detail, dict):
        raise TypeError("audit detail is a dict of JSON values")
    ip = ipaddress.ip_address(client_ip) if isinstance(client_ip, str) else client_ip
    return await conn.fetchval(
        query("audit/record"), event, actor, subject, ip, json.dumps(detail or {})
    )
