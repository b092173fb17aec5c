from pathlib import Path

import pytest

from store.sql import query

QUERIES = Path(__file__).resolve().parents[3] / "store" / "queries"


def test_loads_a_query_by_group_and_name():
    assert "INSERT INTO providers" in query("providers/add")


@pytest.mark.parametrize("name", ["providers", "../settings", "providers/add.sql", "Providers/Add"])
def test_refuses_names_that_are_not_group_slash_name(name):
    with pytest.raises(ValueError):
        query(name)


def test_missing_query_says_which():
    with pytest.raises(LookupError, match="providers/nope"):
        query("providers/nope")


async def test_every_query_file_is_valid_sql_for_the_schema(db):
    names = sorted(f"{p.parent.name}/{p.stem}" for p in QUERIES.glob("*/*.sql"))
    assert names
    async with db.acquire() as conn:
        for name in names:
            if name.startswith("migrations/"):
                continue  # run by migrate() itself, covered in test_migrate
            await conn.prepare(query(name))
