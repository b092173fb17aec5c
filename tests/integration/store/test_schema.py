import asyncpg
import pytest

from domain.digests import derive_key, generate_token, token_digest
from domain.passwords import hash_password

SECRET_COLUMN_WORDS = ("password", "code", "token", "secret")


async def test_no_column_can_hold_a_plaintext_secret(db):
    # Secrets are stored only as hashes or digests, and the column names say so. The one kind
    # that must be read back, an authenticator app's secret, is sealed: AES-GCM bytes under a
    # key the database does not hold (tests/activities/test_postgres_authenticator.py).
    async with db.acquire() as conn:
        # Tables only: a view stores nothing (account_view derives has_new_password, a flag).
        rows = await conn.fetch(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns AS c"
            " JOIN information_schema.tables AS t USING (table_schema, table_name)"
            " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
        )
    suspicious = [
        f"{r['table_name']}.{r['column_name']}"
        for r in rows
        if any(word in r["column_name"] for word in SECRET_COLUMN_WORDS)
        and not r["column_name"].endswith(("_hash", "_digest"))
        and not (r["column_name"].endswith("_sealed") and r["data_type"] == "bytea")
        and r["column_name"] != "password_changed_at"
    ]
    assert suspicious == []


async def _user(conn, **columns):
    names = ["username", "first_name", "last_name", *columns]
    values = ["u1", "Jane", "Doe", *columns.values()]
    placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    return await conn.fetchval(
        f"INSERT INTO users ({', '.join(names)}) VALUES ({placeholders}) RETURNING id", *values
    )


@pytest.mark.parametrize(
    "columns",
    [
        {"state": "Pennsylvania"},
        {"zip": "1711"},
        {"phone": "717-564-8288"},
        {"fax": "+447175648288"},
        {"status": "deleted"},
        {"mfa_method": "carrier-pigeon"},
        {"mfa_method": "phone"},  # a phone method needs its phone
        {"terms_version": "2024-01"},  # accepted when?
    ],
)
async def test_contact_and_mfa_columns_are_checked(db, columns):
    async with db.acquire() as conn:
        with pytest.raises(asyncpg.CheckViolationError):
            await _user(conn, **columns)


async def test_a_complete_user_fits(db):
    async with db.acquire() as conn:
        user_id = await _user(
            conn,
            state="PA",
            zip="17111-1234",
            phone="+17175648288",
            fax="+17175643862",
            status="active",
            mfa_method="phone",
            mfa_phone="+17175648288",
            password_hash=hash_password("quartz-lemur-violin-42"),
        )
        before = await conn.fetchval("SELECT updated_at FROM users WHERE id = $1", user_id)
        await conn.execute("UPDATE users SET city = 'Harrisburg' WHERE id = $1", user_id)
        assert await conn.fetchval("SELECT updated_at FROM users WHERE id = $1", user_id) > before


async def test_remember_me_and_sessions_take_digests_only(db):
    digest = token_digest(derive_key("s" * 40, "cookies"), generate_token())
    async with db.acquire() as conn:
        user_id = await _user(conn)
        await conn.execute(
            "INSERT INTO remember_me_tokens (user_id, token_digest, login_option, expires_at) "
            "VALUES ($1, $2, 'phone', now() + interval '4 hours')",
            user_id,
            digest,
        )
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO sessions (id_digest, user_id, idle_expires_at, absolute_expires_at) "
                "VALUES ($1, $2, now() + interval '30 minutes', now() + interval '12 hours')",
                generate_token(),
                user_id,
            )


async def test_deleting_a_user_removes_their_tokens_and_memberships(db):
    async with db.acquire() as conn:
        user_id = await _user(conn)
        provider_id = await conn.fetchval(
            "INSERT INTO providers (npi, name, registration_code_hash)"
            " VALUES ('1234567893', 'C', $1) RETURNING id",
            hash_password("REG-CODE-0001"),
        )
        await conn.execute(
            "INSERT INTO provider_members (user_id, provider_id) VALUES ($1, $2)",
            user_id,
            provider_id,
        )
        await conn.execute("DELETE FROM users WHERE id = $1", user_id)
        assert await conn.fetchval("SELECT count(*) FROM provider_members") == 0
