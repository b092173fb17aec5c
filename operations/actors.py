"""Who did a staff action, and its line in the audit log. A web action names the signed-in
staff member as actor; a CLI action has no account behind it (actor NULL) and records the
operating-system user who ran it."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from store import audit


@dataclass(frozen=True)
class Actor:
    user_id: UUID | None
    detail: dict[str, str] = field(default_factory=dict)
    client_ip: str | None = None


def cli_actor() -> Actor:
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container with an arbitrary uid)
        os_user = "unknown"
    return Actor(None, {"via": "cli", "os_user": os_user})


def staff_actor(user_id: UUID, client_ip: str | None) -> Actor:
    return Actor(user_id, {"via": "web"}, client_ip)


async def record_action(
    conn: asyncpg.Connection, actor: Actor, event: str, *, subject: str | UUID | None = None, **detail: Any
) -> None:
    """One audit line; ``subject`` is an account id when the action concerns one."""
    await audit.record(
        conn,
        event,
        actor=actor.user_id,
        subject=_account(subject),
        client_ip=actor.client_ip,
        detail={**actor.detail, **{k: v for k, v in detail.items() if v not in (None, "")}},
    )


def _account(value: str | UUID | None) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    try:
        return UUID(value)
    except ValueError:
        return None
