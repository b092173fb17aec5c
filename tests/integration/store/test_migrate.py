import asyncio

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
