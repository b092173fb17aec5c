from devstack.postgres import database_url
from store.migrate import applied_versions, migration_files

from .running import one_line, run_cli, settings_env


async def test_migrate_an_empty_database_then_again(empty_db_url):
    env = settings_env(empty_db_url)
    every_version = [p.stem for p in migration_files()]

    first = run_cli(env, "migrate")
    assert first.returncode == 0, first.stderr
    assert "0001_init" in one_line(first.stdout)
    assert first.stderr == ""
    assert await applied_versions(empty_db_url) == every_version

    second = run_cli(env, "migrate")
    assert second.returncode == 0, second.stderr
    assert "up to date" in one_line(second.stdout)
    assert await applied_versions(empty_db_url) == every_version


def test_unreachable_database_is_one_line_and_status_1():
    result = run_cli(settings_env("postgresql://postgres@127.0.0.1:1/nowhere"), "migrate")
    assert result.returncode == 1
    assert "cannot reach the database" in one_line(result.stderr)
    assert result.stdout == ""


def test_missing_database_is_one_line_and_status_1(pg_server_url):
    result = run_cli(settings_env(database_url(pg_server_url, "no_such_db")), "migrate")
    assert result.returncode == 1
    assert "no_such_db" in one_line(result.stderr)
