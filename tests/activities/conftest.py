"""The worker's pool (jsonb codec included) on this test's database, for the activities that
touch PostgreSQL, and the account activities on it with a provider and a new account to
register under it."""

from __future__ import annotations

import pytest

from activities.contracts import NewAccount
from activities.postgres import AccountActivities
from domain.passwords import hash_password
from store.pool import create_pool
from store.providers import add_provider

NPI = "1234567893"


@pytest.fixture
async def pool(db_url):
    pool = await create_pool(db_url, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def provider_id(pool):
    async with pool.acquire() as conn:
        return await add_provider(conn, NPI, "Harrisburg Clinic", hash_password("REG-CODE-0001"))


@pytest.fixture
def accounts(pool):
    return AccountActivities(pool)


@pytest.fixture
def new_account(provider_id):
    return NewAccount(
        provider_id=provider_id,
        username="JDoe",
        first_name="Jane",
        last_name="Doe",
        email="jane.doe@example.com",
        fax="+17175550100",
        address1="1 Market St",
        city="Harrisburg",
        state="PA",
        zip_code="17101",
        phone="+17175550101",
    )
