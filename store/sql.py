"""Loads the SQL that lives next to the code in store/queries/<group>/<name>.sql."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_QUERIES = Path(__file__).resolve().parent / "queries"
_NAME = re.compile(r"[a-z0-9_]+/[a-z0-9_]+")


@cache
def query(name: str) -> str:
    """The text of store/queries/{name}.sql, e.g. query("providers/add")."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"query names look like 'group/name', not {name!r}")
    path = _QUERIES / f"{name}.sql"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LookupError(f"no query {name!r}: {path} does not exist") from None
