"""After a whole new-provider registration through the API, nothing secret is at rest in
plain text: not in any table of the database, not in any decoded workflow history."""

from __future__ import annotations

import asyncio

from engine.codec import EncryptionCodec
from tests.support.histories import decoded_text
from tests.support.whole_registration import register_through_api

REGISTRATION_CODE = "REG-CODE-7731-XQ"
EMAIL = "morgan.md@example.com"
PASSWORD = "Copper-Meadow-Signal-58"


async def _database_text(pool) -> str:
    async with pool.acquire() as conn:
        tables = await conn.fetch(
            "SELECT quote_ident(table_name) AS name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        rows = []
        for table in tables:
            rows += await conn.fetch(f"SELECT row_to_json(t)::text AS row FROM {table['name']} t")
    return "\n".join(r["row"] for r in rows)


async def test_a_registration_leaves_no_secret_in_the_database_or_any_history(live_app, mail):
    registered = await register_through_api(
        live_app, mail, username="morgan.md", email=EMAIL, password=PASSWORD, registration_code=REGISTRATION_CODE
    )
    secrets = registered.secrets
    stored = await _database_text(live_app.pool)
    assert EMAIL in stored and "$argon2id$" in stored  # the reading is real: the account is there
    for name, secret in secrets.items():
        assert secret not in stored, f"the {name} is in the database in plain text"

    codec = EncryptionCodec(live_app.settings.payload_key_ring)
    flow_ids = await _flows_of(live_app, await _account_id(live_app))
    assert registered.registration_flow in flow_ids and any(f.startswith("enrollment-") for f in flow_ids)
    for flow_id in flow_ids:
        history = await live_app.client.get_workflow_handle(flow_id).fetch_history()
        text = await decoded_text(history, codec)
        for name, secret in secrets.items():
            assert secret not in text, f"the {name} is in the history of {flow_id}"
        # Not even the password's hash: the edge stages it, the flow's activity applies it.
        assert "$argon2id$" not in text, f"a password hash is in the history of {flow_id}"


async def _flows_of(live_app, account_id: str) -> set[str]:
    """Every flow of the account, as support staff would find them (visibility may lag a little)."""
    for _ in range(50):
        found = {e.id async for e in live_app.client.list_workflows(f"AtrezzoAccountId = '{account_id}'")}
        if len(found) >= 2:
            return found
        await asyncio.sleep(0.1)
    return found


async def _account_id(live_app) -> str:
    async with live_app.pool.acquire() as conn:
        return str(await conn.fetchval("SELECT id FROM users WHERE username = 'morgan.md'"))
