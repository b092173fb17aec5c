import asyncpg
import pytest

from domain.passwords import hash_password, verify_password
from store.errors import AlreadyExists
from store.providers import add_provider, get_provider_by_npi, provider_ids_by_npi


async def test_add_then_find_by_npi(db):
    code_hash = hash_password("REG-CODE-0001")
    async with db.acquire() as conn:
        provider_id = await add_provider(conn, "1234567893", "Harrisburg Clinic", code_hash)
        provider = await get_provider_by_npi(conn, "1234567893")
    assert provider is not None
    assert provider.id == provider_id
    assert provider.name == "Harrisburg Clinic"
    assert verify_password(provider.registration_code_hash, "REG-CODE-0001")
    assert "REG-CODE" not in repr(provider) and code_hash not in repr(provider)


async def test_unknown_npi_is_none(db):
    async with db.acquire() as conn:
        assert await get_provider_by_npi(conn, "1234567893") is None


async def test_same_npi_twice_is_already_exists(db):
    async with db.acquire() as conn:
        await add_provider(conn, "1234567893", "First", hash_password("code-one-1"))
        with pytest.raises(AlreadyExists, match="1234567893"):
            await add_provider(conn, "1234567893", "Second", hash_password("code-two-2"))


@pytest.mark.parametrize("npi", ["123456789", "12345678901", "12345678a3", ""])
async def test_database_refuses_an_npi_that_is_not_10_digits(db, npi):
    async with db.acquire() as conn:
        with pytest.raises(asyncpg.CheckViolationError):
            await add_provider(conn, npi, "Clinic", hash_password("code-one-1"))


async def test_database_refuses_a_plaintext_registration_code(db):
    async with db.acquire() as conn:
        with pytest.raises(asyncpg.CheckViolationError):
            await add_provider(conn, "1234567893", "Clinic", "REG-CODE-0001")


async def test_ids_by_npi_returns_only_existing(db):
    async with db.acquire() as conn:
        provider_id = await add_provider(conn, "1234567893", "Clinic", hash_password("code-one-1"))
        found = await provider_ids_by_npi(conn, ["1234567893", "1245319599"])
    assert found == {"1234567893": provider_id}
