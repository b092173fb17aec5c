import asyncio
import json

import asyncpg
import pytest

from store.errors import MigrationFailed
from store.migrate import MIGRATIONS, applied_versions, migrate, migration_files


async def test_migrates_an_empty_database_then_does_nothing(empty_db_url):
    every_version = [path.stem for path in migration_files()]
    assert "0001_init" in every_version
    assert await applied_versions(empty_db_url) == []

    assert await migrate(empty_db_url) == every_version
    assert await applied_versions(empty_db_url) == every_version
    assert await migrate(empty_db_url) == []
    assert await applied_versions(empty_db_url) == every_version


async def test_two_migrators_at_once_apply_everything_exactly_once(empty_db_url):
    first, second = await asyncio.gather(migrate(empty_db_url), migrate(empty_db_url))
    every_version = [path.stem for path in migration_files()]
    assert sorted([first, second]) == [[], every_version]


async def test_a_failing_migration_rolls_back_and_names_its_file(empty_db_url, tmp_path):
    for path in migration_files():
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "9000_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\nSELECT no_such_function();\n"
    )

    with pytest.raises(MigrationFailed) as caught:
        await migrate(empty_db_url, folder=tmp_path)
    assert "9000_broken.sql" in caught.value.message

    # Everything before the broken file stays applied; nothing of the broken file does.
    assert await applied_versions(empty_db_url) == [p.stem for p in migration_files()]
    conn = await asyncpg.connect(empty_db_url)
    try:
        assert await conn.fetchval("SELECT to_regclass('half_done')") is None
    finally:
        await conn.close()


async def test_misnamed_migration_file_is_an_error_not_skipped(empty_db_url, tmp_path):
    (tmp_path / "init.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationFailed, match="init.sql"):
        await migrate(empty_db_url, folder=tmp_path)
    assert await applied_versions(empty_db_url) == []


def test_migrations_live_in_the_top_level_folder():
    assert MIGRATIONS.name == "migrations"
    assert (MIGRATIONS.parent / "pyproject.toml").exists()


async def test_accounts_made_before_are_given_the_flow_that_made_them_from_the_trail(empty_db_url, tmp_path):
    for path in migration_files():
        if path.stem < "0011":
            (tmp_path / path.name).write_text(path.read_text())
    await migrate(empty_db_url, folder=tmp_path)
    conn = await asyncpg.connect(empty_db_url)
    try:
        made, imported = [
            await conn.fetchval(
                "INSERT INTO users (username, first_name, last_name, is_legacy) VALUES ($1, 'Pat', 'Doe', $2) RETURNING id",
                username, legacy,
            )
            for username, legacy in (("pat.doe", False), ("lee.legacy", True))
        ]
        await conn.execute(
            "INSERT INTO audit_events (event, subject_user_id, detail) VALUES ('registration.account_created', $1, $2::jsonb)",
            made, json.dumps({"flow": "registration-1", "provider_id": "7"}),
        )
        assert (await migrate(empty_db_url))[0] == "0011_accounts_created_by_flow"
        rows = dict(await conn.fetch("SELECT id, created_by_flow FROM users"))
        assert rows == {made: "registration-1", imported: None}
        with pytest.raises(asyncpg.UniqueViolationError):  # one account per registration flow
            await conn.execute(
                "INSERT INTO users (username, first_name, last_name, created_by_flow) VALUES ('sam', 'Sam', 'Doe', 'registration-1')"
            )
    finally:
        await conn.close()
