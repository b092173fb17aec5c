import uuid

import asyncpg
import pytest

from store.audit import record
from store.pool import create_pool


async def test_records_an_event_with_its_details(db_url):
    pool = await create_pool(db_url, max_size=2)
    subject = uuid.uuid4()
    try:
        async with pool.acquire() as conn:
            event_id = await record(
                conn,
                "login.failed",
                subject=subject,
                client_ip="203.0.113.7",
                detail={"option": "phone"},
            )
            row = await conn.fetchrow("SELECT * FROM audit_events WHERE id = $1", event_id)
    finally:
        await pool.close()
    assert row["event"] == "login.failed"
    assert row["subject_user_id"] == subject
    assert row["actor_user_id"] is None
    assert str(row["client_ip"]) == "203.0.113.7"
    assert row["detail"] == {"option": "phone"}
    assert row["at"] is not None


async def test_works_on_a_pool_without_the_jsonb_codec(db):
    async with db.acquire() as conn:
        event_id = await record(conn, "provider.added")
        detail = await conn.fetchval("SELECT detail FROM audit_events WHERE id = $1", event_id)
        assert detail == "{}"  # no codec on this pool: jsonb arrives as its text


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET event = 'nothing.happened'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ],
)
async def test_the_trail_is_append_only(db, statement):
    async with db.acquire() as conn:
        await record(conn, "staff.granted")
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute(statement)
        assert await conn.fetchval("SELECT count(*) FROM audit_events") == 1


async def test_bad_input_is_refused_before_the_database(db):
    async with db.acquire() as conn:
        with pytest.raises(ValueError, match="needs a name"):
            await record(conn, "  ")
        with pytest.raises(ValueError):
            await record(conn, "login.failed", client_ip="not-an-ip")
        with pytest.raises(TypeError):
            await record(conn, "login.failed", detail=["not", "a", "dict"])
