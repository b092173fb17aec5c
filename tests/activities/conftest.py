"""The worker's pool (jsonb codec included) on this test's database, for the activities that
touch PostgreSQL."""

from __future__ import annotations

import pytest

from store.pool import create_pool


@pytest.fixture
async def pool(db_url):
    pool = await create_pool(db_url, max_size=4)
    yield pool
    await pool.close()
