from store.pool import create_pool


async def test_pool_round_trips_jsonb_as_dicts(db_url):
    pool = await create_pool(db_url, max_size=2)
    try:
        value = {"npi": "1234567893", "count": 2, "nested": {"ok": True}}
        assert await pool.fetchval("SELECT $1::jsonb", value) == value
    finally:
        await pool.close()
