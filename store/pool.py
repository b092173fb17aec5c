"""The asyncpg pool the API and the worker share; built where a process starts."""

from __future__ import annotations

import json

import asyncpg


async def create_pool(
    database_url: str, *, min_size: int = 1, max_size: int = 10
) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        database_url, min_size=min_size, max_size=max_size, init=_register_codecs
    )


async def _register_codecs(conn: asyncpg.Connection) -> None:
    # Without this asyncpg hands jsonb back as text; audit details are dicts both ways.
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
